import type { EventType } from '@cafeteria/contracts'
import type { EventHandlersFor, ServiceContext, ServiceTrx } from '@cafeteria/platform'
import { canceledTicketFor, type DrinkCommand, type DrinkEmitted, decide, ticketFor } from './domain.ts'
import type { DrinkDeps } from './index.ts'
import type { DrinkFeeds } from './live.ts'
import type { DrinkSettings } from './settings.ts'
import { createTicket, type DrinkTables, findByOrderId, saveDrink } from './store.ts'

type Context = ServiceContext<DrinkTables, DrinkSettings>

/** What the drink service handles: its handlers' keys exactly, and the flows table's consumers. */
export const drinkConsumes = ['Ordered', 'OrderCanceled'] as const satisfies readonly EventType[]

export const drinkHandlers = (
  ctx: Context,
  { feeds }: Pick<DrinkDeps, 'feeds'>,
): EventHandlersFor<DrinkTables, (typeof drinkConsumes)[number]> => ({
  async Ordered(trx, event) {
    if (await createTicket(trx, ctx.dialect, ticketFor(event, ctx.now()))) {
      ctx.afterCommit(trx, feeds.changed)
    }
  },
  async OrderCanceled(trx, event) {
    // The cancel may overtake the order: a ticket cancelled from the start makes the late
    // Ordered create nothing, and the cancel succeeds since nothing was started.
    const ticket = canceledTicketFor(event, ctx.now())
    if (await createTicket(trx, ctx.dialect, ticket)) {
      const { phoneNumber, productName, qty } = ticket
      await ctx.emit(trx, [
        { type: 'DrinkCanceled', orderId: event.orderId, data: { phoneNumber, productName, qty } },
      ] satisfies DrinkEmitted[])
      return
    }
    await applyToTicket(ctx, feeds, trx, event.orderId, { type: 'Cancel', at: ctx.now() })
  },
})

/**
 * Decides on the order's ticket and saves the outcome only over the state it was decided from:
 * if the barista changed the ticket meanwhile, decide again on the new state.
 */
export async function applyToTicket(
  ctx: Context,
  feeds: DrinkFeeds,
  trx: ServiceTrx<DrinkTables>,
  orderId: number,
  command: DrinkCommand,
): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const [drink] = await findByOrderId(trx, orderId)
    if (!drink) throw new Error(`order ${orderId} has no ticket`)
    const decision = decide(drink, command)
    if (!decision.ok) return
    if (
      decision.drink === drink ||
      (await saveDrink(trx, decision.drink, drink.status, drink.cancelRefused))
    ) {
      await ctx.emit(trx, decision.events)
      if (decision.drink !== drink) ctx.afterCommit(trx, feeds.changed)
      return
    }
  }
  throw new Error(`ticket of order ${orderId} kept changing; retrying the event`)
}
