import {
  type Menu,
  type MenuItem,
  normalizePhoneNumber,
  OPEN_MAX_QTY,
  PHONE_NUMBER_RULE,
  PhoneNumberInput,
  WholeNumberInput,
  wholeNumber,
} from '@cafeteria/contracts'
import { HttpProblem, type InputError, invalidInput } from '@cafeteria/platform'
import { type Static, Type } from 'typebox'
import type { OrderDraft } from './domain.ts'

/** The most one order may cost: what the payment service takes. */
const AMT = { minimum: 0, maximum: 100_000_000 }
/** A client's amount is only compared with the menu's, so any whole number gets that answer. */
const ANY_AMT = { minimum: 0, maximum: Number.MAX_SAFE_INTEGER }

export const PlaceOrderBody = Type.Object({
  phoneNumber: Type.Optional(PhoneNumberInput),
  productId: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'the drink by its menu id (`GET /menu`), e.g. "americano"; or give `productName`',
    }),
  ),
  productName: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: '\\S',
      description:
        'the drink by its menu name, e.g. "아메리카노"; the order keeps the menu’s name. In open mode, any name, kept as sent',
    }),
  ),
  qty: WholeNumberInput({
    minimum: 1,
    maximum: OPEN_MAX_QTY,
    description: `number of drinks, 1 to MAX_QTY (20 unless set); 1 to ${OPEN_MAX_QTY} in open mode`,
  }),
  amt: Type.Optional(
    WholeNumberInput({
      ...ANY_AMT,
      description:
        'total in won. The server charges the menu’s price × qty; an amt sent must equal it, else 422 with `expectedAmt`. In open mode it is required and charged as sent (0 to 100,000,000)',
    }),
  ),
})
export type PlaceOrderBody = Static<typeof PlaceOrderBody>

/**
 * The order a body asks for, priced from the menu: the amount is price × qty and a client's amount
 * must match it; the name recorded (and in every message) is the menu's. Schema checks cover
 * shapes; these are the rules a schema cannot say. The phone is the signed-in customer's (a body
 * naming another is refused). Open mode is the original's API: the body's phone, product name
 * and amount, as sent.
 */
export function toDraft(
  body: PlaceOrderBody,
  caller: { customer: string | undefined; open: boolean },
  menu: Menu,
): OrderDraft {
  const { customer, open } = caller
  const errors: InputError[] = []
  const given = body.phoneNumber === undefined ? undefined : normalizePhoneNumber(body.phoneNumber)
  if (body.phoneNumber !== undefined && !given)
    errors.push({ path: '/phoneNumber', message: PHONE_NUMBER_RULE })
  else if (given === undefined && customer === undefined) {
    errors.push({ path: '/phoneNumber', message: 'is required' })
  }
  if (customer !== undefined && given !== undefined && given !== customer) {
    throw new HttpProblem(403, 'not-your-phone', 'An order is placed for the signed-in phone number only.')
  }
  const phoneNumber = customer ?? given
  if (body.productId === undefined && body.productName === undefined) {
    errors.push({ path: '/productName', message: 'is required (or /productId)' })
  }
  const maxQty = open ? OPEN_MAX_QTY : menu.maxQty
  const qty = wholeNumber(body.qty, { minimum: 1, maximum: maxQty })
  if (qty === undefined) errors.push({ path: '/qty', message: `must be a whole number from 1 to ${maxQty}` })
  const amt = body.amt === undefined ? undefined : wholeNumber(body.amt, open ? AMT : ANY_AMT)
  if (open && amt === undefined) {
    errors.push({
      path: '/amt',
      message:
        body.amt === undefined
          ? 'is required'
          : `must be a whole number from ${AMT.minimum} to ${AMT.maximum}`,
    })
  }
  if (!phoneNumber || qty === undefined || errors.length > 0) throw invalidInput('body', errors)

  // The original's API: the amount and any product name, as sent (amt is required there).
  if (open && amt !== undefined) {
    const productName = body.productName?.trim() ?? itemOf(menu, body).name
    return { phoneNumber, productName, qty, amt }
  }
  const item = itemOf(menu, body)
  const expected = item.price * qty
  if (expected > AMT.maximum) {
    const most = Math.floor(AMT.maximum / item.price)
    throw invalidInput('body', [
      { path: '/qty', message: `must be at most ${most}: one order costs at most ${AMT.maximum} won` },
    ])
  }
  if (amt !== undefined && amt !== expected) {
    throw new HttpProblem(
      422,
      'amount-mismatch',
      `amt ${amt} is not the price: ${qty} × ${item.name} at ${item.price} won is ${expected} won.`,
      { extra: { expectedAmt: expected } },
    )
  }
  return { phoneNumber, productName: item.name, qty, amt: expected }
}

/** The menu item a body names: by id, else by name; both given, they must agree. */
function itemOf(menu: Menu, body: PlaceOrderBody): MenuItem {
  const name = body.productName?.trim()
  const item =
    body.productId === undefined
      ? menu.items.find((i) => i.name === name)
      : menu.items.find((i) => i.id === body.productId)
  if (!item) {
    const asked = body.productId === undefined ? `"${name}"` : `productId "${body.productId}"`
    throw new HttpProblem(422, 'unknown-product', `${asked} is not on the menu (see GET /menu).`)
  }
  if (name !== undefined && item.name !== name) {
    throw new HttpProblem(422, 'unknown-product', `productId "${item.id}" is ${item.name}, not "${name}".`)
  }
  if (!item.available) {
    throw new HttpProblem(422, 'product-unavailable', `${item.name} cannot be ordered right now.`)
  }
  return item
}
