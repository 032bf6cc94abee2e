import type { EventOf } from '@cafeteria/contracts'
import { decider, type Emitted, emits, type Rejected, rejected } from '@cafeteria/platform/decider'

/**
 * A drink ticket, as the barista sees it. `PaymentApproved` is the original's name for a ticket
 * waiting for the barista; the barista moves it to `Receipted`, then `Made`. Once started, the
 * ticket refuses a cancel (as FTGO's kitchen ticket does); a waiting one is `DrinkCanceled`.
 */
export type DrinkStatus = 'PaymentApproved' | 'Receipted' | 'Made' | 'DrinkCanceled'

export interface Drink {
  readonly id: number
  readonly orderId: number
  readonly phoneNumber: string
  readonly productName: string
  readonly qty: number
  /** What the order was paid (the menu's price × qty); null on tickets older than the field. */
  readonly amt: number | null
  readonly status: DrinkStatus
  /** A cancel was refused (and announced) once already: the order is cancelled at most once. */
  readonly cancelRefused: boolean
  readonly createTime: Date
  /** When the barista accepted it, and finished it: how long making a drink takes. */
  readonly receiptedTime: Date | null
  readonly madeTime: Date | null
  /** When the status last changed (the barista board lists recent changes). */
  readonly statusTime: Date
}

/** A ticket as decisions see it: its `id` comes once the store has it (a ticket just opened has none). */
export type Ticket = Omit<Drink, 'id'> & { readonly id?: number }

export type DrinkCommand =
  | { readonly type: 'Open'; readonly ticket: Ticket }
  | { readonly type: 'Advance'; readonly to: string; readonly at: Date }
  /** `ticket`: the ticket to leave if the cancel overtook the order (see `canceledTicketFor`). */
  | { readonly type: 'Cancel'; readonly at: Date; readonly ticket?: Ticket }

/** What the drink service emits: all its deciders may return, and the flows table's producers. */
export const drinkEmits = emits('DrinkCanceled', 'CancelFailed', 'Receipted', 'Made')
type DrinkEmitted = Emitted<typeof drinkEmits>

/** A contract event the service emits, with the time the ticket keeps of it. */
type Timed<K extends DrinkEmitted['type']> = Extract<DrinkEmitted, { type: K }> & { readonly at: Date }

/** What a ticket's decisions record: the barista's and the cancel's events, and the ticket's opening. */
export type DrinkEvent =
  | { readonly type: 'TicketOpened'; readonly orderId: number; readonly ticket: Ticket }
  | Timed<'Receipted' | 'Made' | 'DrinkCanceled'>
  | Extract<DrinkEmitted, { type: 'CancelFailed' }>

/** No ticket until the order's first event (Ordered, or a cancel that overtook it) opens one. */
type TicketState = Ticket | undefined

/** The barista's workflow: which status may follow which. */
const next: Partial<Record<DrinkStatus, DrinkStatus>> = { PaymentApproved: 'Receipted', Receipted: 'Made' }

const about = (d: Ticket) => ({ phoneNumber: d.phoneNumber, productName: d.productName, qty: d.qty })

export const drinkDecider = decider(drinkEmits, { initialState: () => undefined, decide, evolve })

function decide(command: DrinkCommand, drink: TicketState): readonly DrinkEvent[] | Rejected {
  switch (command.type) {
    case 'Open':
      // The order's ticket exists already, perhaps cancelled from the start: nothing to open.
      return drink ? [] : [{ type: 'TicketOpened', orderId: command.ticket.orderId, ticket: command.ticket }]
    case 'Advance': {
      if (!drink) return rejected('there is no ticket')
      if (next[drink.status] !== command.to) {
        return rejected(`drink ${drink.id} is ${drink.status}; it cannot become ${command.to}`)
      }
      const type = command.to === 'Receipted' ? 'Receipted' : 'Made'
      return [{ type, orderId: drink.orderId, data: about(drink), at: command.at }]
    }
    case 'Cancel':
      return drink ? decideCancel(drink, command.at) : cancelAhead(command)
    default: {
      const exhaustive: never = command
      throw new Error(`unknown command ${JSON.stringify(exhaustive)}`)
    }
  }
}

function decideCancel(drink: Ticket, at: Date): readonly DrinkEvent[] {
  switch (drink.status) {
    case 'PaymentApproved':
      return [{ type: 'DrinkCanceled', orderId: drink.orderId, data: about(drink), at }]
    case 'Receipted':
    case 'Made':
      // An expected business outcome, so an event and not an error: the saga compensates.
      // An order is cancelled at most once: the same cancel re-sent is refused silently.
      if (drink.cancelRefused) return []
      return [
        {
          type: 'CancelFailed',
          orderId: drink.orderId,
          data: { ...about(drink), drinkStatus: drink.status },
        },
      ]
    case 'DrinkCanceled':
      return []
    default: {
      const exhaustive: never = drink.status
      throw new Error(`unknown status ${exhaustive}`)
    }
  }
}

/** A cancel that overtook the order opens its ticket cancelled, and the cancel succeeds: nothing was started. */
function cancelAhead(command: {
  readonly at: Date
  readonly ticket?: Ticket
}): readonly DrinkEvent[] | Rejected {
  const { ticket, at } = command
  if (!ticket) return rejected('there is no ticket')
  return [
    { type: 'TicketOpened', orderId: ticket.orderId, ticket },
    { type: 'DrinkCanceled', orderId: ticket.orderId, data: about(ticket), at },
  ]
}

function evolve(drink: TicketState, event: DrinkEvent): TicketState {
  if (event.type === 'TicketOpened') return event.ticket
  if (!drink) return drink
  switch (event.type) {
    case 'Receipted':
      return { ...drink, status: 'Receipted', statusTime: event.at, receiptedTime: event.at }
    case 'Made':
      return { ...drink, status: 'Made', statusTime: event.at, madeTime: event.at }
    case 'DrinkCanceled':
      return { ...drink, status: 'DrinkCanceled', statusTime: event.at }
    case 'CancelFailed':
      return { ...drink, cancelRefused: true }
    default: {
      const exhaustive: never = event
      throw new Error(`unknown event ${JSON.stringify(exhaustive)}`)
    }
  }
}

/** A paid order becomes a waiting ticket, with everything the barista needs from the one event. */
export const ticketFor = (event: EventOf<'Ordered'>, now: Date): Omit<Drink, 'id'> => ({
  orderId: event.orderId,
  phoneNumber: event.data.phoneNumber,
  productName: event.data.productName,
  qty: event.data.qty,
  amt: event.data.amt,
  status: 'PaymentApproved',
  cancelRefused: false,
  createTime: now,
  receiptedTime: null,
  madeTime: null,
  statusTime: now,
})

/**
 * A cancel that arrives before the ticket (events can overtake each other) leaves a ticket that
 * is cancelled from the start, so the late `Ordered` finds it and creates nothing.
 */
export const canceledTicketFor = (event: EventOf<'OrderCanceled'>, now: Date): Omit<Drink, 'id'> => ({
  orderId: event.orderId,
  phoneNumber: event.data.phoneNumber,
  productName: event.data.productName,
  qty: event.data.qty,
  amt: event.data.amt,
  status: 'DrinkCanceled',
  cancelRefused: false,
  createTime: now,
  receiptedTime: null,
  madeTime: null,
  statusTime: now,
})
