import type { EventType } from './events.ts'

/**
 * Who emits each event and who reacts to it: the map of the sagas, which no single service's code
 * shows (the cancel saga alone runs through five services). Typed over the contracts, so
 * an event type or a service that does not exist does not compile; `apps/cafe/src/flows.test.ts`
 * holds it against what each service declares it emits and handles, and the README's event table
 * is written from it (`npm run docs:flows`).
 */

/** The services that own data and exchange events; the gateway only routes. */
export const serviceNames = ['order', 'payment', 'drink', 'customercenter', 'point'] as const
export type ServiceName = (typeof serviceNames)[number]

export interface Flow {
  /** The one service that emits it ... */
  readonly producer: ServiceName
  /** ... and when. */
  readonly when: string
  /** Each service that handles it, and what for; none: it is kept on the stream for the record. */
  readonly consumers: { readonly [S in ServiceName]?: string }
}

/** Every event of the contracts, and no other. */
export type Flows = { readonly [K in EventType]: Flow }

/** In the order a placed, then cancelled, order meets them. */
export const flows: Flows = {
  Ordered: {
    producer: 'order',
    when: 'once paid',
    consumers: {
      drink: "opens the barista's ticket",
      point: 'accrues 10% of the amount',
      customercenter: 'My Page, and the "Ordered" message',
    },
  },
  PaymentApproved: {
    producer: 'payment',
    when: 'a payment made (the order has it from the sync answer)',
    consumers: {},
  },
  OrderRejected: {
    producer: 'order',
    when: 'its payment failed, timed out or was never confirmed',
    consumers: { payment: 'voids a late payment, or refuses it ahead' },
  },
  PaymentVoided: {
    producer: 'payment',
    when: 'a late payment of a rejected order voided',
    consumers: {},
  },
  OrderCanceled: {
    producer: 'order',
    when: 'after the points were deducted (sync)',
    consumers: {
      drink: 'cancels the ticket, or refuses once started',
      customercenter: 'My Page',
    },
  },
  DrinkCanceled: {
    producer: 'drink',
    when: 'ticket not started',
    consumers: { payment: 'refunds', customercenter: 'My Page' },
  },
  CancelFailed: {
    producer: 'drink',
    when: 'ticket already started',
    consumers: {
      order: 'back to Ordered, for good',
      point: 'restores the deducted points',
      customercenter: 'My Page, and the "already started" message',
    },
  },
  PaymentCanceled: {
    producer: 'payment',
    when: 'refunded',
    consumers: {
      order: 'records the refund',
      customercenter: 'My Page, and the "Payment is Canceled" message',
    },
  },
  Receipted: {
    producer: 'drink',
    when: 'the barista accepted the ticket',
    consumers: { customercenter: 'My Page, and the "Receipted" message' },
  },
  Made: {
    producer: 'drink',
    when: 'the barista made the drink',
    consumers: { customercenter: 'My Page, and the "Made" message' },
  },
  PointsAccrued: { producer: 'point', when: 'points accrued for an order', consumers: {} },
  PointsDeducted: { producer: 'point', when: 'points deducted for a cancel', consumers: {} },
  PointsRestored: { producer: 'point', when: 'points given back after a refused cancel', consumers: {} },
}

/** The event types `service` emits, in the table's order. */
export const emittedBy = (service: ServiceName): EventType[] =>
  eventTypes().filter((type) => flows[type].producer === service)

/** The event types `service` handles, in the table's order. */
export const consumedBy = (service: ServiceName): EventType[] =>
  eventTypes().filter((type) => flows[type].consumers[service] !== undefined)

const eventTypes = () => Object.keys(flows) as EventType[]
