import { handleCommand } from '@cafeteria/platform'
import { type Order, type OrderDraft, orderDecider, type RejectReason } from './domain.ts'
import { claim } from './idempotency.ts'
import type { OrderContext, OrderDeps } from './index.ts'
import type { OrderMetrics } from './metrics.ts'
import { appendHistory, findPendingOlderThan, insertPending, saveOver } from './store.ts'

export type PlaceResult =
  | { readonly kind: 'placed'; readonly order: Order }
  | { readonly kind: 'replayed'; readonly order: Order }
  | { readonly kind: 'key-reused' }
  | { readonly kind: 'key-in-progress' }
  | { readonly kind: 'payment-unavailable'; readonly detail: string }
  | { readonly kind: 'payment-refused'; readonly detail: string }

/**
 * Places and pays an order. It is recorded as Pending first so its id keys the payment (which
 * the payment service makes once per order id); only a paid order becomes Ordered and emits
 * Ordered, in one transaction. A failed payment leaves an invisible PaymentFailed row.
 */
export async function placeOrder(
  ctx: OrderContext,
  { payments, counts }: Pick<OrderDeps, 'payments' | 'counts'>,
  draft: OrderDraft,
  idempotencyKey?: string,
): Promise<PlaceResult> {
  // The fallback: answered at once, with no order row and no event.
  if (payments.refusesNow()) {
    counts.rejected.inc({ reason: 'circuit-open' })
    return { kind: 'payment-unavailable', detail: 'payment circuit is open' }
  }
  let pending: Order
  if (idempotencyKey === undefined) {
    pending = await insertPending(ctx.db, ctx.dialect, draft)
  } else {
    const claimed = await claim(ctx.db, ctx.dialect, idempotencyKey, draft, ctx.now())
    switch (claimed.kind) {
      case 'replay':
        return { kind: 'replayed', order: claimed.order }
      case 'mismatch':
        return { kind: 'key-reused' }
      case 'in-progress':
        return { kind: 'key-in-progress' }
      case 'new':
        pending = claimed.order
        break
      default: {
        const exhaustive: never = claimed
        throw new Error(`unknown claim ${JSON.stringify(exhaustive)}`)
      }
    }
  }

  const payment = await payments.pay({ orderId: pending.id, phoneNumber: draft.phoneNumber, amt: draft.amt })
  if (!payment.ok) {
    const reason = payment.unavailable ? 'payment-unavailable' : 'payment-refused'
    await reject(ctx, counts, pending, reason)
    ctx.log.warn({ orderId: pending.id, detail: payment.detail }, 'payment failed; order not placed')
    return { kind: reason, detail: payment.detail }
  }

  // Decided on the order as placed here: if the sweep gave it up meanwhile, the save says so.
  const confirmed = await handleCommand(ctx, {
    decider: orderDecider,
    command: { type: 'ConfirmPayment', paymentId: payment.paymentId },
    load: async () => pending,
    async save(trx, order, loaded) {
      const saved = await saveOver(trx, order, loaded)
      if (saved) await appendHistory(trx, saved.id, { status: 'Ordered', detail: null, at: ctx.now() })
      return saved
    },
  })
  if (confirmed.kind === 'rejected') throw new Error(confirmed.reason)
  if (confirmed.kind === 'raced' || !confirmed.state) {
    // The sweep gave it up as abandoned (and its payment is being voided): the start-up check on
    // ORDER_ABANDONED_AFTER_MS makes this rare, a stalled process or database makes it possible.
    ctx.log.error({ orderId: pending.id }, 'order given up as abandoned while it was being paid')
    return { kind: 'payment-unavailable', detail: 'the payment took too long to confirm' }
  }
  counts.placed.inc()
  return { kind: 'placed', order: confirmed.state }
}

/** Records that an order was not placed and announces it, so a late payment gets voided. */
export async function reject(
  ctx: OrderContext,
  counts: OrderMetrics,
  pending: Order,
  reason: RejectReason,
): Promise<boolean> {
  const outcome = await handleCommand(ctx, {
    decider: orderDecider,
    command: { type: 'RecordPaymentFailure', reason },
    load: async () => pending,
    save: saveOver,
  })
  const rejected = outcome.kind === 'done'
  if (rejected) counts.rejected.inc({ reason })
  return rejected
}

/**
 * An order still Pending long after any payment call could have ended belongs to a process that
 * died mid-payment: it is rejected, and its payment, if one was made, is voided. "Long after" is
 * `ORDER_ABANDONED_AFTER_MS`, checked at start-up against the longest call (settings.ts).
 */
export async function rejectAbandoned(
  ctx: OrderContext,
  counts: OrderMetrics,
  olderThanMs: number,
): Promise<number> {
  // Aged on the database's clock: a replica whose clock runs ahead would reject live orders.
  const stale = await findPendingOlderThan(ctx.db, ctx.dialect, olderThanMs, 100)
  let rejected = 0
  for (const order of stale) if (await reject(ctx, counts, order, 'abandoned')) rejected++
  if (rejected > 0) ctx.log.warn({ rejected }, 'rejected orders abandoned while paying')
  return rejected
}
