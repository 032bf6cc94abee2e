import type { EventHandlers, ServiceContext } from '@cafeteria/platform'
import { decideRefund } from './domain.ts'
import { findByOrderId, type PaymentTables, saveStatus } from './store.ts'

export const paymentHandlers = (
  ctx: ServiceContext<PaymentTables, unknown>,
): EventHandlers<PaymentTables> => ({
  async DrinkCanceled(trx, event) {
    const payment = await findByOrderId(trx, event.orderId)
    const refund = decideRefund(payment)
    if (!payment || !refund) return
    if (!(await saveStatus(trx, refund.refunded, payment.status)))
      throw new Error(`payment ${payment.id} changed meanwhile`)
    await ctx.emit(trx, refund.events)
  },
})
