import {
  createWorker,
  type Dialect,
  exponentialRetry,
  type Logger,
  type PendingWorker,
  type ServiceDb,
} from '@cafeteria/platform'
import { type DeliveryResult, type Notification, settleAttempt } from './domain.ts'
import type { Notifier } from './notifier.ts'
import type { DeliverySettings } from './settings.ts'
import { type CustomercenterTables, claimDue, saveAttempt } from './store.ts'

export interface DispatcherOptions {
  /** The service's transactions: concurrent deliveries record their outcomes with one commit. */
  readonly transaction: <T>(work: (trx: ServiceDb<CustomercenterTables>) => Promise<T>) => Promise<T>
  readonly dialect: Dialect
  readonly notifier: Notifier
  readonly log: Logger
  readonly now: () => Date
  readonly delivery: DeliverySettings
  /** How long a claimed notification stays hidden from other dispatchers while it is delivered. */
  readonly leaseMs: number
  readonly batchSize?: number
  /** Told of each attempt's outcome once it is recorded (My Page shows delivery). */
  readonly settled?: (notification: Notification) => void
}

/**
 * Delivers pending notifications through the notifier, apart from event handling: a notifier
 * that is down or slow never holds up an event, and a notification is never lost (it is tried
 * again with exponential backoff and jitter, then kept as `failed` with its last error). A
 * recorded notification kicks it, to be delivered now rather than at the next poll.
 */
export function createDispatcher(options: DispatcherOptions): PendingWorker {
  const { transaction, dialect, notifier, log, now, delivery } = options
  const batchSize = options.batchSize ?? 50
  const retryDelay = exponentialRetry(delivery.retryBaseMs, delivery.retryMaxMs)
  let failures = 0

  async function deliver(notification: Notification): Promise<void> {
    let result: DeliveryResult
    try {
      await notifier.send({
        notificationId: notification.id,
        orderId: notification.orderId,
        phoneNumber: notification.phoneNumber,
        kind: notification.kind,
        message: notification.message,
      })
      result = { ok: true }
    } catch (error) {
      result = { ok: false, error: error instanceof Error ? error.message : String(error) }
    }
    const outcome = settleAttempt(notification, result, {
      now: now(),
      maxAttempts: delivery.maxAttempts,
      retryDelay,
    })
    await transaction((trx) => saveAttempt(trx, notification, outcome))
    options.settled?.(notification)
    const about = { notificationId: notification.id, orderId: notification.orderId, kind: notification.kind }
    if (outcome.status === 'sent') {
      failures = 0
    } else if (outcome.status === 'failed') {
      log.error(
        { ...about, attempts: notification.attempts, error: outcome.lastError },
        'notification failed',
      )
    } else if (++failures === 1) {
      // Once per streak, so a notifier outage does not flood the log.
      log.warn({ ...about, error: outcome.lastError }, 'notification not delivered; will retry')
    }
  }

  async function drain(): Promise<void> {
    let claimed: Notification[]
    do {
      const at = now()
      claimed = await transaction((trx) =>
        claimDue(trx, dialect, {
          now: at,
          leaseUntil: new Date(at.getTime() + options.leaseMs),
          limit: batchSize,
        }),
      )
      await Promise.all(claimed.map(deliver))
    } while (claimed.length === batchSize)
  }

  return createWorker({ name: 'notification dispatcher', drain, pollMs: delivery.pollMs, log })
}
