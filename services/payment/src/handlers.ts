import type { EventType } from '@cafeteria/contracts'
import type { EventHandlersFor, ServiceContext } from '@cafeteria/platform'
import { decideRefund, decideVoid } from './domain.ts'
import { findByOrderId, insertPaymentIfAbsent, type PaymentTables, saveStatus } from './store.ts'

/** What the payment service handles: its handlers' keys exactly, and the flows table's consumers. */
export const paymentConsumes = ['DrinkCanceled', 'OrderRejected'] as const satisfies readonly EventType[]

export const paymentHandlers = (
  ctx: ServiceContext<PaymentTables, unknown>,
): EventHandlersFor<PaymentTables, (typeof paymentConsumes)[number]> => ({
  async DrinkCanceled(trx, event) {
    const payment = await findByOrderId(trx, event.orderId)
    const refund = decideRefund(payment)
    if (!payment || !refund) return
    if (!(await saveStatus(trx, refund.refunded, payment.status)))
      throw new Error(`payment ${payment.id} changed meanwhile`)
    await ctx.emit(trx, refund.events)
  },

  async OrderRejected(trx, event) {
    const payment = await findByOrderId(trx, event.orderId)
    const decision = decideVoid(payment)
    if (decision.kind === 'nothing') return
    if (decision.kind === 'refuse-ahead') {
      const { phoneNumber, amt } = event.data
      const voided = {
        orderId: event.orderId,
        phoneNumber,
        amt,
        status: 'PaymentVoided' as const,
        createTime: ctx.now(),
      }
      // If the late payment committed first after all, the retry of this event voids it.
      if (!(await insertPaymentIfAbsent(trx, ctx.dialect, voided))) {
        throw new Error(`order ${event.orderId} got paid meanwhile`)
      }
      return
    }
    if (!payment || !(await saveStatus(trx, decision.voided, payment.status))) {
      throw new Error(`payment of order ${event.orderId} changed meanwhile`)
    }
    ctx.log.warn({ orderId: event.orderId, paymentId: payment.id }, 'voided the payment of a rejected order')
    await ctx.emit(trx, decision.events)
  },
})
