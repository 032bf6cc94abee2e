import type { EventType } from '@cafeteria/contracts'
import {
  type EventHandlersFor,
  handleCommand,
  type ServiceContext,
  type ServiceTrx,
} from '@cafeteria/platform'
import {
  canceledTicketFor,
  type Drink,
  type DrinkCommand,
  drinkDecider,
  type Ticket,
  ticketFor,
} from './domain.ts'
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
    await applyToTicket(ctx, feeds, trx, event.orderId, { type: 'Open', ticket: ticketFor(event, ctx.now()) })
  },
  async OrderCanceled(trx, event) {
    // The cancel may overtake the order: a ticket cancelled from the start makes the late
    // Ordered create nothing, and the cancel succeeds since nothing was started.
    const at = ctx.now()
    await applyToTicket(ctx, feeds, trx, event.orderId, {
      type: 'Cancel',
      at,
      ticket: canceledTicketFor(event, at),
    })
  },
})

/**
 * Decides on the order's ticket and saves the outcome only over the state it was decided from:
 * if the barista changed the ticket meanwhile, decide again on the new state.
 */
async function applyToTicket(
  ctx: Context,
  feeds: DrinkFeeds,
  trx: ServiceTrx<DrinkTables>,
  orderId: number,
  command: DrinkCommand,
): Promise<void> {
  const outcome = await handleCommand(ctx, {
    trx,
    decider: drinkDecider,
    command,
    load: async (trx) => (await findByOrderId(trx, orderId))[0],
    save: savingTicket(ctx, feeds),
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
  (ctx: Context, feeds: DrinkFeeds) =>
  async (trx: ServiceTrx<DrinkTables>, ticket: Ticket | undefined, loaded: Drink | undefined) => {
    if (!ticket) throw new Error('a decided ticket is never nothing')
    const saved = loaded ? { ...ticket, id: loaded.id } : ticket
    const won = loaded
      ? await saveDrink(trx, { ...ticket, id: loaded.id }, loaded.status, loaded.cancelRefused)
      : await createTicket(trx, ctx.dialect, ticket)
    if (!won) return undefined
    ctx.afterCommit(trx, feeds.changed)
    return saved
  }
