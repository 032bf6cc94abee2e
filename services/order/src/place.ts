import { decide, type Order, type OrderDraft } from './domain.ts'
import { claim } from './idempotency.ts'
import type { OrderContext } from './index.ts'
import type { PaymentGateway } from './payments.ts'
import { appendHistory, insertPending, saveOrder } from './store.ts'

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
  payments: PaymentGateway,
  draft: OrderDraft,
  idempotencyKey?: string,
): Promise<PlaceResult> {
  let pending: Order
  if (idempotencyKey === undefined) {
    pending = await insertPending(ctx.db, ctx.dialect, draft, ctx.now())
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
    const failed = decide(pending, { type: 'RecordPaymentFailure' })
    if (failed.ok) await saveOrder(ctx.db, failed.order, 'Pending')
    ctx.log.warn({ orderId: pending.id, detail: payment.detail }, 'payment failed; order not placed')
    return { kind: payment.unavailable ? 'payment-unavailable' : 'payment-refused', detail: payment.detail }
  }

  const decision = decide(pending, { type: 'ConfirmPayment', paymentId: payment.paymentId })
  if (!decision.ok) throw new Error(decision.reason)
  await ctx.transaction(async (trx) => {
    if (!(await saveOrder(trx, decision.order, 'Pending')))
      throw new Error(`order ${pending.id} changed while paying`)
    await appendHistory(trx, pending.id, { status: 'Ordered', detail: null, at: ctx.now() })
    await ctx.emit(trx, decision.events)
  })
  return { kind: 'placed', order: decision.order }
}
