import { startWorker } from '@cafeteria/platform'
import { forgetKeysOlderThan } from './idempotency.ts'
import type { OrderContext } from './index.ts'
import { rejectAbandoned } from './place.ts'

/**
 * The order service's background work: reject orders whose process died while paying (so their
 * payments are voided), and forget idempotency keys past their retention.
 */
export function startUpkeep(ctx: OrderContext): () => Promise<void> {
  const sweep = startWorker({
    name: 'abandoned-order sweep',
    pollMs: Math.max(1000, Math.round(ctx.config.abandonedAfterMs / 3)),
    log: ctx.log,
    drain: async () => {
      while ((await rejectAbandoned(ctx, ctx.config.abandonedAfterMs)) > 0);
    },
  })
  const forget = startWorker({
    name: 'idempotency-key pruning',
    pollMs: 3_600_000,
    log: ctx.log,
    drain: async () => {
      await forgetKeysOlderThan(ctx.db, ctx.config.idempotencyKeyHours, ctx.now())
    },
  })
  sweep.kick()
  forget.kick()
  return async () => {
    await Promise.all([sweep.stop(), forget.stop()])
  }
}
