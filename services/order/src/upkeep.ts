import { startWorker } from '@cafeteria/platform'
import { finishUnfinishedCancels } from './cancel.ts'
import { forgetKeysOlderThan } from './idempotency.ts'
import type { OrderContext } from './index.ts'
import { rejectAbandoned } from './place.ts'
import type { PointGateway } from './points.ts'

/**
 * The order service's background work: reject orders whose process died while paying (so their
 * payments are voided), finish cancels whose process died after deducting the points, and
 * forget idempotency keys past their retention.
 */
export function startUpkeep(ctx: OrderContext, points: PointGateway): () => Promise<void> {
  const sweep = startWorker({
    name: 'abandoned-order sweep',
    pollMs: Math.max(1000, Math.round(ctx.config.abandonedAfterMs / 3)),
    log: ctx.log,
    drain: async () => {
      while ((await rejectAbandoned(ctx, ctx.config.abandonedAfterMs)) > 0);
      while ((await finishUnfinishedCancels(ctx, points, ctx.config.abandonedAfterMs)) > 0);
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
