import type { EventOf, EventType, NewEventOf } from '@cafeteria/contracts'

/** What the drink service emits: all its deciders may return, and the flows table's producers. */
export const drinkEmits = [
  'DrinkCanceled',
  'CancelFailed',
  'Receipted',
  'Made',
] as const satisfies readonly EventType[]
export type DrinkEmitted = NewEventOf<(typeof drinkEmits)[number]>

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

export type DrinkCommand =
  | { readonly type: 'Advance'; readonly to: string; readonly at: Date }
  | { readonly type: 'Cancel'; readonly at: Date }

export type Decision =
  | { readonly ok: true; readonly drink: Drink; readonly events: readonly DrinkEmitted[] }
  | { readonly ok: false; readonly reason: string }

/** The barista's workflow: which status may follow which. */
const next: Partial<Record<DrinkStatus, DrinkStatus>> = { PaymentApproved: 'Receipted', Receipted: 'Made' }

const about = (d: Drink) => ({ phoneNumber: d.phoneNumber, productName: d.productName, qty: d.qty })

export function decide(drink: Drink, command: DrinkCommand): Decision {
  switch (command.type) {
    case 'Advance': {
      if (next[drink.status] !== command.to) {
        return { ok: false, reason: `drink ${drink.id} is ${drink.status}; it cannot become ${command.to}` }
      }
      const type = command.to === 'Receipted' ? 'Receipted' : 'Made'
      const advanced: Drink = {
        ...drink,
        status: type,
        statusTime: command.at,
        ...(type === 'Receipted' ? { receiptedTime: command.at } : { madeTime: command.at }),
      }
      return { ok: true, drink: advanced, events: [{ type, orderId: drink.orderId, data: about(drink) }] }
    }
    case 'Cancel':
      switch (drink.status) {
        case 'PaymentApproved':
          return {
            ok: true,
            drink: { ...drink, status: 'DrinkCanceled', statusTime: command.at },
            events: [{ type: 'DrinkCanceled', orderId: drink.orderId, data: about(drink) }],
          }
        case 'Receipted':
        case 'Made':
          // An expected business outcome, so an event and not an error: the saga compensates.
          // An order is cancelled at most once: the same cancel re-sent is refused silently.
          if (drink.cancelRefused) return { ok: true, drink, events: [] }
          return {
            ok: true,
            drink: { ...drink, cancelRefused: true },
            events: [
              {
                type: 'CancelFailed',
                orderId: drink.orderId,
                data: { ...about(drink), drinkStatus: drink.status },
              },
            ],
          }
        case 'DrinkCanceled':
          return { ok: true, drink, events: [] }
        default: {
          const exhaustive: never = drink.status
          throw new Error(`unknown status ${exhaustive}`)
        }
      }
    default: {
      const exhaustive: never = command
      throw new Error(`unknown command ${JSON.stringify(exhaustive)}`)
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
