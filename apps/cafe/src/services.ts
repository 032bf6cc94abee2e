import { customercenterService } from '@cafeteria/customercenter'
import { drinkService } from '@cafeteria/drink'
import { gatewayService } from '@cafeteria/gateway'
import { orderService } from '@cafeteria/order'
import { paymentService } from '@cafeteria/payment'
import type { AnyServiceDefinition, ServiceDefinition } from '@cafeteria/platform'
import { pointService } from '@cafeteria/point'

export interface ServiceEntry {
  readonly definition: AnyServiceDefinition
  readonly port: number
  /** Its database in distributed mode unless `<SERVICE>_DATABASE_URL` says otherwise (none: keeps no data). */
  readonly distributedDatabase?: string
}

/** A back-end service: it keeps data, in its own database. */
export interface BackEndEntry extends ServiceEntry {
  readonly definition: ServiceDefinition<any, any, any>
  readonly distributedDatabase: string
}

const postgres = (name: string) => `postgres://postgres@127.0.0.1:5432/cafe_${name}`

/** Every back-end service, in start order: a service starts after the ones it calls. */
export const services: readonly BackEndEntry[] = [
  { definition: paymentService, port: 8082, distributedDatabase: postgres('payment') },
  // Polyglot persistence, as in the original: points live in MariaDB.
  { definition: pointService, port: 8085, distributedDatabase: 'mysql://root@127.0.0.1:3306/cafe_point' },
  { definition: drinkService, port: 8083, distributedDatabase: postgres('drink') },
  { definition: customercenterService, port: 8084, distributedDatabase: postgres('customercenter') },
  { definition: orderService, port: 8081, distributedDatabase: postgres('order') },
]

export const GATEWAY_PORT = 8080

/** Every service in start order: the back ends, then the gateway in front of them. */
export const everyService: readonly ServiceEntry[] = [
  ...services,
  { definition: gatewayService, port: GATEWAY_PORT },
]

export function findService(name: string) {
  return everyService.find((s) => s.definition.name === name)
}

/** `PAYMENT_URL`, `POINT_URL`, …: where services and the gateway find each other. */
export const urlVariable = (name: string) => `${name.toUpperCase()}_URL`
