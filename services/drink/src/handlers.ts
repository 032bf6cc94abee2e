import { type EventHandlers, handleCommand, type ServiceContext, type ServiceTrx } from '@cafeteria/platform'
import {
  canceledTicketFor,
  type Drink,
  type DrinkCommand,
  drinkDecider,
  type Ticket,
  ticketFor,
} from './domain.ts'
import { drinkFeeds } from './live.ts'
import type { DrinkSettings } from './settings.ts'
import { createTicket, type DrinkTables, findByOrderId, saveDrink } from './store.ts'

type Context = ServiceContext<DrinkTables, DrinkSettings>

export const drinkHandlers = (ctx: Context): EventHandlers<DrinkTables> => ({
  async Ordered(trx, event) {
    await applyToTicket(ctx, trx, event.orderId, { type: 'Open', ticket: ticketFor(event, ctx.now()) })
  },
  async OrderCanceled(trx, event) {
    // The cancel may overtake the order: a ticket cancelled from the start makes the late
    // Ordered create nothing, and the cancel succeeds since nothing was started.
    const at = ctx.now()
    await applyToTicket(ctx, trx, event.orderId, { type: 'Cancel', at, ticket: canceledTicketFor(event, at) })
  },
})

/**
 * Decides on the order's ticket and saves the outcome only over the state it was decided from:
 * if the barista changed the ticket meanwhile, decide again on the new state.
 */
async function applyToTicket(
  ctx: Context,
  trx: ServiceTrx<DrinkTables>,
  orderId: number,
  command: DrinkCommand,
): Promise<void> {
  const outcome = await handleCommand(ctx, {
    trx,
    decider: drinkDecider,
    command,
    load: async (trx) => (await findByOrderId(trx, orderId))[0],
    save: savingTicket(ctx),
    attempts: 5,
  })
  if (outcome.kind === 'raced')
    throw new Error(`ticket of order ${orderId} kept changing; retrying the event`)
}

/**
 * Saves a decided ticket: the order's first, unless it has one already, or over the ticket it was
 * decided from; undefined if someone else got there first. The barista's board hears of it once
 * it committed.
 */
export const savingTicket =
  (ctx: Context) =>
  async (trx: ServiceTrx<DrinkTables>, ticket: Ticket | undefined, loaded: Drink | undefined) => {
    if (!ticket) throw new Error('a decided ticket is never nothing')
    const saved = loaded ? { ...ticket, id: loaded.id } : ticket
    const won = loaded
      ? await saveDrink(trx, { ...ticket, id: loaded.id }, loaded.status, loaded.cancelRefused)
      : await createTicket(trx, ctx.dialect, ticket)
    if (!won) return undefined
    ctx.afterCommit(trx, drinkFeeds(ctx).changed)
    return saved
  }
