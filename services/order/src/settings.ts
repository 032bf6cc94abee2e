import { type CallPolicySettings, type ConfigReader, callPolicySettings } from '@cafeteria/platform'

export interface OrderSettings {
  readonly paymentUrl: string
  readonly paymentCalls: CallPolicySettings
  readonly paymentRetryAfterSeconds: number
  readonly pointUrl: string
  readonly pointCalls: CallPolicySettings
  readonly pointRetryAfterSeconds: number
  readonly idempotencyKeyHours: number
  readonly abandonedAfterMs: number
}

export const orderSettings = (read: ConfigReader): OrderSettings => ({
  paymentUrl: read.url('PAYMENT_URL', 'http://127.0.0.1:8082'),
  paymentCalls: callPolicySettings(read, 'PAYMENT'),
  paymentRetryAfterSeconds: read.int('PAYMENT_RETRY_AFTER_SECONDS', 5, { min: 1 }),
  pointUrl: read.url('POINT_URL', 'http://127.0.0.1:8085'),
  pointCalls: callPolicySettings(read, 'POINT'),
  pointRetryAfterSeconds: read.int('POINT_RETRY_AFTER_SECONDS', 5, { min: 1 }),
  idempotencyKeyHours: read.int('IDEMPOTENCY_KEY_HOURS', 24, { min: 24 }),
  // Far beyond any payment call's deadline: an order Pending this long lost its process.
  abandonedAfterMs: read.int('ORDER_ABANDONED_AFTER_MS', 30_000, { min: 1000 }),
})
