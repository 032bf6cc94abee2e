import { customercenterService } from '@cafeteria/customercenter'
import { drinkService } from '@cafeteria/drink'
import { orderService } from '@cafeteria/order'
import { paymentService } from '@cafeteria/payment'
import type { ServiceDefinition } from '@cafeteria/platform'
import { pointService } from '@cafeteria/point'

export interface ServiceEntry {
  readonly definition: ServiceDefinition<any, any>
  readonly port: number
  /** Its database in distributed mode unless `<SERVICE>_DATABASE_URL` says otherwise. */
  readonly distributedDatabase: string
}

const postgres = (name: string) => `postgres://postgres@127.0.0.1:5432/cafe_${name}`

/** Every back-end service, in start order: a service starts after the ones it calls. */
export const services: readonly ServiceEntry[] = [
  { definition: paymentService, port: 8082, distributedDatabase: postgres('payment') },
  // Polyglot persistence, as in the original: points live in MariaDB.
  { definition: pointService, port: 8085, distributedDatabase: 'mysql://root@127.0.0.1:3306/cafe_point' },
  { definition: drinkService, port: 8083, distributedDatabase: postgres('drink') },
  { definition: customercenterService, port: 8084, distributedDatabase: postgres('customercenter') },
  { definition: orderService, port: 8081, distributedDatabase: postgres('order') },
]

export const GATEWAY_PORT = 8080

export function findService(name: string) {
  return services.find((s) => s.definition.name === name)
}

/** `PAYMENT_URL`, `POINT_URL`, …: where services and the gateway find each other. */
export const urlVariable = (name: string) => `${name.toUpperCase()}_URL`
