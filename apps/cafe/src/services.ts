import { drinkService } from '@cafeteria/drink'
import { orderService } from '@cafeteria/order'
import { paymentService } from '@cafeteria/payment'
import type { ServiceDefinition } from '@cafeteria/platform'

/** Every back-end service, in start order: a service starts after the ones it calls. */
export const services: ReadonlyArray<{ definition: ServiceDefinition<any, any>; port: number }> = [
  { definition: paymentService, port: 8082 },
  { definition: drinkService, port: 8083 },
  { definition: orderService, port: 8081 },
]

export const GATEWAY_PORT = 8080

export function findService(name: string) {
  return services.find((s) => s.definition.name === name)
}
