import type { ConfigReader } from '@cafeteria/platform'

export interface OrderSettings {
  readonly paymentUrl: string
  readonly paymentTimeoutMs: number
  readonly paymentRetryAfterSeconds: number
  readonly pointUrl: string
  readonly pointTimeoutMs: number
  readonly pointRetryAfterSeconds: number
  readonly idempotencyKeyHours: number
}

export const orderSettings = (read: ConfigReader): OrderSettings => ({
  paymentUrl: read.url('PAYMENT_URL', 'http://127.0.0.1:8082'),
  paymentTimeoutMs: read.int('PAYMENT_TIMEOUT_MS', 610, { min: 1 }),
  paymentRetryAfterSeconds: read.int('PAYMENT_RETRY_AFTER_SECONDS', 5, { min: 1 }),
  pointUrl: read.url('POINT_URL', 'http://127.0.0.1:8085'),
  pointTimeoutMs: read.int('POINT_TIMEOUT_MS', 610, { min: 1 }),
  pointRetryAfterSeconds: read.int('POINT_RETRY_AFTER_SECONDS', 5, { min: 1 }),
  idempotencyKeyHours: read.int('IDEMPOTENCY_KEY_HOURS', 24, { min: 24 }),
})
