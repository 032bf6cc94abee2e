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

export const Ordered = envelope(
  'Ordered',
  Type.Object({
    phoneNumber: Phone,
    productName: Type.String({ minLength: 1, maxLength: 100 }),
    qty: Type.Integer({ minimum: 1 }),
    amt: Money,
    paymentId: Type.Integer({ minimum: 1 }),
  }),
)

export const PaymentApproved = envelope(
  'PaymentApproved',
  Type.Object({ paymentId: Type.Integer({ minimum: 1 }), phoneNumber: Phone, amt: Money }),
)

export const eventSchemas = { Ordered, PaymentApproved } as const

export type EventType = keyof typeof eventSchemas
export type DomainEvent = { [K in EventType]: Static<(typeof eventSchemas)[K]> }[EventType]
export type EventOf<K extends EventType> = Extract<DomainEvent, { type: K }>
/** What a producer supplies; the outbox adds id, source and occurredAt. */
export type NewEvent = { [K in EventType]: Pick<EventOf<K>, 'type' | 'orderId' | 'data'> }[EventType]
