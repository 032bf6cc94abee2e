import { type Menu, readMenu } from '@cafeteria/contracts'
import {
  type CallPolicySettings,
  type ConfigReader,
  callPolicySettings,
  longestCallMs,
} from '@cafeteria/platform'

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

export function orderSettings(read: ConfigReader): OrderSettings {
  const settings: OrderSettings = {
    menu: readMenu(read),
    paymentUrls: read.urls('PAYMENT_URL', 'http://127.0.0.1:8082'),
    paymentCalls: callPolicySettings(read, 'PAYMENT'),
    paymentRetryAfterSeconds: read.int('PAYMENT_RETRY_AFTER_SECONDS', 5, { min: 1 }),
    pointUrls: read.urls('POINT_URL', 'http://127.0.0.1:8085'),
    pointCalls: callPolicySettings(read, 'POINT'),
    pointRetryAfterSeconds: read.int('POINT_RETRY_AFTER_SECONDS', 5, { min: 1 }),
    idempotencyKeyHours: read.int('IDEMPOTENCY_KEY_HOURS', 24, { min: 24 }),
    abandonedAfterMs: read.int('ORDER_ABANDONED_AFTER_MS', 30_000, { min: 1000 }),
    replicasFile: read.optional('REPLICAS_FILE'),
  }
  const shortest = shortestAbandonedAfterMs(settings)
  if (settings.abandonedAfterMs < shortest)
    read.refuse(
      `ORDER_ABANDONED_AFTER_MS: ${settings.abandonedAfterMs} ms is shorter than twice the longest payment or point call (queue wait, attempts and backoff: ${shortest / 2} ms), so the sweep could give up orders and cancels still waiting for their answer; make it at least ${shortest}, or shorten the calls (PAYMENT_/POINT_ QUEUE_WAIT_MS, BUDGET_MS).`,
    )
  return settings
}

/**
 * An order Pending (or a cancel marked) for `ORDER_ABANDONED_AFTER_MS` is taken for one whose
 * process died, so no live call may last that long. Twice the longest call leaves as long again
 * for the answer to be recorded on a busy process or database.
 */
export const shortestAbandonedAfterMs = (settings: Pick<OrderSettings, 'paymentCalls' | 'pointCalls'>) =>
  2 * Math.max(longestCallMs(settings.paymentCalls), longestCallMs(settings.pointCalls))
