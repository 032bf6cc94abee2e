import { createWorker, type PendingWorker } from '@cafeteria/platform'
import { finishUnfinishedCancels } from './cancel.ts'
import { forgetKeysOlderThan } from './idempotency.ts'
import type { OrderContext, OrderDeps } from './index.ts'
import { rejectAbandoned } from './place.ts'

/**
 * The order service's background work: reject orders whose process died while paying (so their
 * payments are voided), finish cancels whose process died after deducting the points, and
 * forget idempotency keys past their retention.
 */
export function upkeep(ctx: OrderContext, deps: OrderDeps): PendingWorker[] {
  const sweep = createWorker({
    name: 'abandoned-order sweep',
    pollMs: Math.max(1000, Math.round(ctx.config.abandonedAfterMs / 3)),
    log: ctx.log,
    drain: async () => {
      while ((await rejectAbandoned(ctx, deps.counts, ctx.config.abandonedAfterMs)) > 0);
      while ((await finishUnfinishedCancels(ctx, deps, ctx.config.abandonedAfterMs)) > 0);
    },
  })
  const forget = createWorker({
    name: 'idempotency-key pruning',
    pollMs: 3_600_000,
    log: ctx.log,
    drain: async () => {
      await forgetKeysOlderThan(ctx.db, ctx.config.idempotencyKeyHours, ctx.now())
    },
  })
  return [sweep, forget]
}
