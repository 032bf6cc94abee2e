import type { EventType } from '@cafeteria/contracts'
import {
  type EventHandlersFor,
  handleCommand,
  type ServiceContext,
  type ServiceTrx,
} from '@cafeteria/platform'
import { announce, type Payment, type PaymentCommand, type PaymentState, paymentDecider } from './domain.ts'
import { findByOrderId, type PaymentTables, savePayment } from './store.ts'

type Context = ServiceContext<PaymentTables, unknown>
type Trx = ServiceTrx<PaymentTables>

/** What the payment service handles: its handlers' keys exactly, and the flows table's consumers. */
export const paymentConsumes = ['DrinkCanceled', 'OrderRejected'] as const satisfies readonly EventType[]

export const paymentHandlers = (
  ctx: Context,
): EventHandlersFor<PaymentTables, (typeof paymentConsumes)[number]> => ({
  async DrinkCanceled(trx, event) {
    const outcome = await handleCommand(ctx, { trx, ...paymentSteps(ctx, event.orderId, { type: 'Refund' }) })
    if (outcome.kind === 'raced') throw new Error(`payment of order ${event.orderId} changed meanwhile`)
  },

  async OrderRejected(trx, event) {
    const { phoneNumber, amt } = event.data
    const command = { type: 'Void', orderId: event.orderId, phoneNumber, amt, at: ctx.now() } as const
    const outcome = await handleCommand(ctx, { trx, ...paymentSteps(ctx, event.orderId, command) })
    // If the late payment committed first after all, the retry of this event voids it.
    if (outcome.kind === 'raced') throw new Error(`payment of order ${event.orderId} changed meanwhile`)
    if (outcome.kind === 'done' && outcome.events.some((e) => e.type === 'PaymentVoided')) {
      const paymentId = outcome.state?.id
      ctx.log.warn({ orderId: event.orderId, paymentId }, 'voided the payment of a rejected order')
    }
  },
})

/** A command on the order's payment, decided and saved over the payment as loaded. */
export const paymentSteps = (ctx: Context, orderId: number, command: PaymentCommand) => ({
  decider: paymentDecider,
  command,
  load: (trx: Trx) => findByOrderId(trx, orderId),
  save: (trx: Trx, payment: PaymentState, loaded?: Payment) => savePayment(trx, ctx.dialect, payment, loaded),
  announce,
})
