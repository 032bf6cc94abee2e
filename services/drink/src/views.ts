import { type DrinkView, maskPhoneNumber } from '@cafeteria/contracts'
import type { ServiceContext } from '@cafeteria/platform'
import type { Drink } from './domain.ts'
import {
  estimate,
  type Place,
  placeOf,
  type QueueEstimate,
  RECENT_TICKETS,
  typicalMakeSeconds,
} from './queue.ts'
import type { DrinkSettings } from './settings.ts'
import {
  activeTickets,
  activeTicketsOf,
  type DrinkTables,
  queueCounts,
  recentlyClosed,
  recentMakeSeconds,
} from './store.ts'

type Context = ServiceContext<DrinkTables, DrinkSettings>

/**
 * A ticket as staff see it: the phone number masked to its last 4 digits. In open mode the
 * tickets of `GET /drinks` show it whole, as the original's walkthrough does; the board never
 * does: it stands on the counter, where anyone passing reads it.
 */
export const drinkView = (d: Drink, phone: 'masked' | 'whole' = 'masked'): DrinkView => ({
  id: d.id,
  orderId: d.orderId,
  phoneNumber: phone === 'whole' ? d.phoneNumber : maskPhoneNumber(d.phoneNumber),
  productName: d.productName,
  qty: d.qty,
  amt: d.amt,
  status: d.status,
  createTime: d.createTime.toISOString(),
})

export type QueueView = QueueEstimate & {
  orders: Array<Place & { readonly orderId: number }>
}

async function currentQueue(ctx: Context) {
  const [counts, recent] = await Promise.all([queueCounts(ctx.db), recentMakeSeconds(ctx.db, RECENT_TICKETS)])
  return { ...counts, makeSeconds: typicalMakeSeconds(recent, ctx.config.defaultMakeSeconds) }
}

/** The queue before paying, and where each of a customer's tickets is (none without a phone). */
export async function readQueue(ctx: Context, phoneNumber: string): Promise<QueueView> {
  const queue = await currentQueue(ctx)
  const mine = phoneNumber ? await activeTicketsOf(ctx.db, phoneNumber) : []
  return {
    ...estimate(queue),
    orders: mine.map(({ drink, waitingAhead }) => ({
      orderId: drink.orderId,
      ...placeOf(
        queue,
        drink.status === 'Receipted' ? { status: 'Receipted' } : { status: 'PaymentApproved', waitingAhead },
      ),
    })),
  }
}

/** How far back the board shows finished and cancelled tickets. */
const RECENT_MS = 30 * 60_000
const BOARD_SIZE = 200

/** The barista's board: what to make, oldest first, and what was finished or cancelled lately. */
export async function readBoard(ctx: Context) {
  const since = new Date(ctx.now().getTime() - RECENT_MS)
  const [queue, tickets, closed] = await Promise.all([
    currentQueue(ctx),
    activeTickets(ctx.db, BOARD_SIZE),
    recentlyClosed(ctx.db, since, 20),
  ])
  return {
    queue: estimate(queue),
    tickets: tickets.map((d) => drinkView(d)),
    recent: closed.map((d) => ({ ...drinkView(d), statusTime: d.statusTime.toISOString() })),
  }
}
