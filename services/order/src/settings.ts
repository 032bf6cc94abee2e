import { type Menu, readMenu } from '@cafeteria/contracts'
import { type CallPolicySettings, type ConfigReader, callPolicySettings } from '@cafeteria/platform'

export interface OrderSettings {
  /** What is sold and at what price (`MENU`, `MAX_QTY`): the order service owns prices. */
  readonly menu: Menu
  /** Payment's replicas (`PAYMENT_URL`, comma-separated for several). */
  readonly paymentUrls: readonly string[]
  readonly paymentCalls: CallPolicySettings
  readonly paymentRetryAfterSeconds: number
  readonly pointUrls: readonly string[]
  readonly pointCalls: CallPolicySettings
  readonly pointRetryAfterSeconds: number
  readonly idempotencyKeyHours: number
  readonly abandonedAfterMs: number
  /** The replica lists the distributed runner keeps up to date during rolling restarts. */
  readonly replicasFile: string | undefined
}

export const orderSettings = (read: ConfigReader): OrderSettings => ({
  menu: readMenu(read),
  paymentUrls: read.urls('PAYMENT_URL', 'http://127.0.0.1:8082'),
  paymentCalls: callPolicySettings(read, 'PAYMENT'),
  paymentRetryAfterSeconds: read.int('PAYMENT_RETRY_AFTER_SECONDS', 5, { min: 1 }),
  pointUrls: read.urls('POINT_URL', 'http://127.0.0.1:8085'),
  pointCalls: callPolicySettings(read, 'POINT'),
  pointRetryAfterSeconds: read.int('POINT_RETRY_AFTER_SECONDS', 5, { min: 1 }),
  idempotencyKeyHours: read.int('IDEMPOTENCY_KEY_HOURS', 24, { min: 24 }),
  // Far beyond any payment call's deadline: an order Pending this long lost its process.
  abandonedAfterMs: read.int('ORDER_ABANDONED_AFTER_MS', 30_000, { min: 1000 }),
  replicasFile: read.optional('REPLICAS_FILE'),
})
