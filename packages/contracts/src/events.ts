import { type Static, type TSchema, Type } from 'typebox'

/**
 * Domain events: the only thing services know of each other besides the two sync calls.
 * Every event travels in the same envelope; `data` carries what the consumers need, so no
 * consumer has to wait for a second event to fill in a row (the original's enrichment race).
 */

const OrderId = Type.Integer({ minimum: 1 })
const Phone = Type.String({ pattern: '^01[0-9]{8,9}$' })
const Money = Type.Integer({ minimum: 0 })

const envelope = <T extends string, D extends TSchema>(type: T, data: D) =>
  Type.Object({
    id: Type.String({ minLength: 1, maxLength: 64 }),
    type: Type.Literal(type),
    source: Type.String({ minLength: 1, maxLength: 40 }),
    orderId: OrderId,
    occurredAt: Type.String({ format: 'date-time' }),
    data,
  })

const Product = {
  productName: Type.String({ minLength: 1, maxLength: 100 }),
  qty: Type.Integer({ minimum: 1 }),
}
const PaymentId = Type.Integer({ minimum: 1 })
const Points = Type.Integer({ minimum: 0 })

/** An order was placed and paid: everything the barista, points and My Page need. */
export const Ordered = envelope(
  'Ordered',
  Type.Object({ phoneNumber: Phone, ...Product, amt: Money, paymentId: PaymentId }),
)

export const PaymentApproved = envelope(
  'PaymentApproved',
  Type.Object({ paymentId: PaymentId, phoneNumber: Phone, amt: Money }),
)

/**
 * An order was not placed: its payment failed, timed out or was never confirmed. Nothing of it
 * may ever take effect; a payment that still went through is voided.
 */
export const OrderRejected = envelope(
  'OrderRejected',
  Type.Object({
    phoneNumber: Phone,
    amt: Money,
    reason: Type.Union([
      Type.Literal('payment-unavailable'),
      Type.Literal('payment-refused'),
      Type.Literal('abandoned'),
    ]),
  }),
)

/** A payment for a rejected order was voided, or refused before it could be made. */
export const PaymentVoided = envelope(
  'PaymentVoided',
  Type.Object({ paymentId: PaymentId, phoneNumber: Phone, amt: Money }),
)

/** The customer cancelled; the order's points were already deducted (`pointsDeducted`). */
export const OrderCanceled = envelope(
  'OrderCanceled',
  Type.Object({ phoneNumber: Phone, ...Product, amt: Money, paymentId: PaymentId, pointsDeducted: Points }),
)

/** The barista had not started: the ticket is cancelled and the payment can be refunded. */
export const DrinkCanceled = envelope('DrinkCanceled', Type.Object({ phoneNumber: Phone, ...Product }))

/** The barista had started: the cancel is refused and must be compensated. */
export const CancelFailed = envelope(
  'CancelFailed',
  Type.Object({
    phoneNumber: Phone,
    ...Product,
    drinkStatus: Type.Union([Type.Literal('Receipted'), Type.Literal('Made')]),
  }),
)

export const PaymentCanceled = envelope(
  'PaymentCanceled',
  Type.Object({ paymentId: PaymentId, phoneNumber: Phone, amt: Money }),
)

export const Receipted = envelope('Receipted', Type.Object({ phoneNumber: Phone, ...Product }))
export const Made = envelope('Made', Type.Object({ phoneNumber: Phone, ...Product }))

const PointChange = Type.Object({ phoneNumber: Phone, point: Points, totalPoint: Points })
export const PointsAccrued = envelope('PointsAccrued', PointChange)
export const PointsDeducted = envelope('PointsDeducted', PointChange)
export const PointsRestored = envelope('PointsRestored', PointChange)

export const eventSchemas = {
  Ordered,
  PaymentApproved,
  OrderRejected,
  PaymentVoided,
  OrderCanceled,
  DrinkCanceled,
  CancelFailed,
  PaymentCanceled,
  Receipted,
  Made,
  PointsAccrued,
  PointsDeducted,
  PointsRestored,
} as const

export type EventType = keyof typeof eventSchemas
export type DomainEvent = { [K in EventType]: Static<(typeof eventSchemas)[K]> }[EventType]
export type EventOf<K extends EventType> = Extract<DomainEvent, { type: K }>
/** What a producer supplies; the outbox adds id, source and occurredAt. */
export type NewEvent = { [K in EventType]: Pick<EventOf<K>, 'type' | 'orderId' | 'data'> }[EventType]
/** What a producer of only the `K` events supplies: a service's deciders return these. */
export type NewEventOf<K extends EventType> = Extract<NewEvent, { type: K }>
