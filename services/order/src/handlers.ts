import type { EventType } from '@cafeteria/contracts'
import { type EventHandlersFor, handleCommand, type ServiceContext } from '@cafeteria/platform'
import { orderDecider } from './domain.ts'
import type { OrderDeps } from './index.ts'
import type { OrderSettings } from './settings.ts'
import { appendHistory, findOrder, markRefunded, type OrderTables, saveOver } from './store.ts'

/** What the order service handles: its handlers' keys exactly, and the flows table's consumers. */
export const orderConsumes = ['CancelFailed', 'PaymentCanceled'] as const satisfies readonly EventType[]

/** The saga's replies to the order: a refused cancel is compensated; a refund is recorded. */
export const orderHandlers = (
  ctx: ServiceContext<OrderTables, OrderSettings>,
  { counts }: Pick<OrderDeps, 'counts'>,
): EventHandlersFor<OrderTables, (typeof orderConsumes)[number]> => {
  return {
    async CancelFailed(trx, event) {
      const outcome = await handleCommand(ctx, {
        trx,
        decider: orderDecider,
        command: { type: 'RecordCancelRefused' },
        load: (trx) => findOrder(trx, event.orderId),
        async save(trx, next, loaded) {
          const saved = await saveOver(trx, next, loaded)
          if (!saved) return saved
          await appendHistory(trx, event.orderId, {
            status: 'Ordered',
            detail: `cancel refused: the drink was already ${event.data.drinkStatus}`,
            at: ctx.now(),
          })
          ctx.afterCommit(trx, () => counts.cancelRefused.inc({ reason: 'drink-started' }))
          return saved
        },
      })
      if (outcome.kind === 'raced') throw new Error(`order ${event.orderId} changed meanwhile`)
    },
    async PaymentCanceled(trx, event) {
      if (!(await markRefunded(trx, event.orderId))) return
      await appendHistory(trx, event.orderId, {
        status: 'PaymentCanceled',
        detail: 'refunded',
        at: ctx.now(),
      })
      ctx.afterCommit(trx, () => counts.refunded.inc())
    },
  }
}
