import { handleCommand } from '@cafeteria/platform'
import { cancelBlocker, isVisible, type Order, orderDecider } from './domain.ts'
import type { OrderContext, OrderDeps } from './index.ts'
import type { PointGateway } from './points.ts'
import {
  appendHistory,
  endCancel,
  findOrder,
  findUnfinishedCancels,
  releaseCancel,
  saveOver,
  startCancel,
} from './store.ts'

export type CancelResult =
  | { readonly kind: 'canceled'; readonly order: Order }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'not-cancellable'; readonly reason: string }
  | { readonly kind: 'point-unavailable' }
  | { readonly kind: 'points-refused'; readonly detail: string }

/**
 * The first step of the cancel saga: deduct the order's points synchronously (nothing changes
 * if that fails), then record the cancel and emit OrderCanceled for the drink service to accept
 * or refuse. The point service deducts once per order, so concurrent cancels share one deduction
 * and only one of them records the cancel.
 *
 * The cancel is marked as started before the deduction. A process that dies before recording it,
 * or a deduction that may have reached point but whose answer never came (a timeout, a broken
 * connection), leaves the mark, and `finishUnfinishedCancels` completes the cancel later: the
 * points may well have been deducted, and the customer asked to cancel. A deduction that
 * certainly never reached point (breaker open, no free slot, connection refused) takes its mark
 * back: nothing happened, and the customer, told to cancel again, decides. A definite answer —
 * refused by point, or the cancel recorded or no longer possible — clears the mark.
 */
export async function cancelOrder(
  ctx: OrderContext,
  { points, counts }: Pick<OrderDeps, 'points' | 'counts'>,
  id: number,
): Promise<CancelResult> {
  const result = await attemptCancel(ctx, points, id)
  if (result.kind === 'canceled') counts.canceled.inc()
  else if (result.kind !== 'not-found') counts.cancelRefused.inc({ reason: result.kind })
  return result
}

async function attemptCancel(ctx: OrderContext, points: PointGateway, id: number): Promise<CancelResult> {
  const order = await findOrder(ctx.db, id)
  if (!order || !isVisible(order)) return { kind: 'not-found' }
  const blocker = cancelBlocker(order)
  if (blocker) return { kind: 'not-cancellable', reason: blocker }

  if (!(await startCancel(ctx.db, ctx.dialect, order.id))) {
    const changed = await findOrder(ctx.db, order.id)
    return { kind: 'not-cancellable', reason: (changed && cancelBlocker(changed)) ?? `order ${id} changed` }
  }
  const deducted = await points.deduct(order)
  if (!deducted.ok) {
    if (!deducted.unavailable) {
      await endCancel(ctx.db, order.id)
      return { kind: 'points-refused', detail: deducted.detail }
    }
    if (!deducted.maybeSent) await releaseCancel(ctx.db, order.id)
    return { kind: 'point-unavailable' }
  }

  return ctx.transaction(async (trx): Promise<CancelResult> => {
    const outcome = await handleCommand(ctx, {
      trx,
      decider: orderDecider,
      command: { type: 'Cancel', pointsDeducted: deducted.point },
      load: (trx) => findOrder(trx, order.id),
      async save(trx, next, loaded) {
        const saved = await saveOver(trx, next, loaded)
        if (saved)
          await appendHistory(trx, order.id, { status: 'OrderCanceled', detail: null, at: ctx.now() })
        return saved
      },
    })
    await endCancel(trx, order.id)
    if (outcome.kind === 'done' && outcome.state) return { kind: 'canceled', order: outcome.state }
    // Cancelled meanwhile, or refused by the barista for good: nothing is left to finish.
    const reason = outcome.kind === 'rejected' ? outcome.reason : `order ${id} is already canceled`
    return { kind: 'not-cancellable', reason }
  })
}

/**
 * Completes the cancels started more than `olderThanMs` ago and never answered. Deducting again
 * is safe (once per order); a cancel that can no longer go ahead is cleared.
 */
export async function finishUnfinishedCancels(
  ctx: OrderContext,
  deps: Pick<OrderDeps, 'points' | 'counts'>,
  olderThanMs: number,
): Promise<number> {
  const ids = await findUnfinishedCancels(ctx.db, ctx.dialect, olderThanMs, 100)
  let finished = 0
  for (const id of ids) {
    const result = await cancelOrder(ctx, deps, id)
    if (result.kind === 'canceled') finished++
    else if (result.kind === 'point-unavailable')
      return finished // the next sweep tries again
    else await endCancel(ctx.db, id)
  }
  if (finished > 0) ctx.log.warn({ finished }, 'finished cancels left unanswered by a process that died')
  return finished
}
