import { type Static, Type } from 'typebox'

/**
 * What the public API answers that the web UI reads as well: the service's route schema and the
 * screen's type are one, so neither can drift from the other.
 */

export const DrinkViewStatus = Type.Union([
  Type.Literal('PaymentApproved'),
  Type.Literal('Receipted'),
  Type.Literal('Made'),
  Type.Literal('DrinkCanceled'),
])

/** A drink ticket as `GET /drinks` and the barista's board show it. */
export const DrinkView = Type.Object({
  id: Type.Integer(),
  orderId: Type.Integer(),
  phoneNumber: Type.String({ description: 'the last 4 digits, the rest masked (whole in open mode)' }),
  productName: Type.String(),
  qty: Type.Integer(),
  amt: Type.Union([Type.Integer(), Type.Null()], { description: 'what the order was paid, in won' }),
  status: DrinkViewStatus,
  createTime: Type.String({ format: 'date-time' }),
})
export type DrinkView = Static<typeof DrinkView>
