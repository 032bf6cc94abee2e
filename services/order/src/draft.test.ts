import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { defaultMenu, type Menu } from '@cafeteria/contracts'
import { HttpProblem } from '@cafeteria/platform'
import { type PlaceOrderBody, toDraft } from './draft.ts'

/** The rules of POST /orders' body that no schema can say, without HTTP around them. */
const menu: Menu = {
  items: [...defaultMenu, { id: 'gold-latte', name: '골드라테', price: 40_000_000, available: true }],
  maxQty: 20,
}
const phoneNumber = '01012345678'
const signedIn = { customer: phoneNumber, open: false }
const open = { customer: undefined, open: true }
const refusal = (status: number, type: string) => (error: unknown) =>
  error instanceof HttpProblem && error.status === status && error.type === type

describe('signed in, the menu prices the order', () => {
  test('the amount is price × qty, the name the menu’s, the phone the session’s', () => {
    assert.deepEqual(toDraft({ productId: 'cold-brew', qty: '4' }, signedIn, menu), {
      phoneNumber,
      productName: '콜드브루',
      qty: 4,
      amt: 20_000,
    })
  })

  test('a body naming another phone is refused', () => {
    const body: PlaceOrderBody = { phoneNumber: '01099998888', productId: 'americano', qty: 1 }
    assert.throws(() => toDraft(body, signedIn, menu), refusal(403, 'not-your-phone'))
  })

  test('an order over what one payment takes is refused at the quantity, naming the most', () => {
    assert.throws(
      () => toDraft({ productId: 'gold-latte', qty: 3 }, signedIn, menu),
      (error: unknown) =>
        error instanceof HttpProblem && error.status === 400 && /at most 2\b/.test(error.detail),
    )
  })
})

describe("open mode keeps the original's API", () => {
  test('the product name and amount as sent; qty up to 1000', () => {
    assert.deepEqual(toDraft({ phoneNumber, productName: ' coffee ', qty: 1000, amt: '500' }, open, menu), {
      phoneNumber,
      productName: 'coffee',
      qty: 1000,
      amt: 500,
    })
  })

  test('a menu id names the menu’s drink; the amount is still the one sent', () => {
    assert.deepEqual(toDraft({ phoneNumber, productId: 'americano', qty: 2, amt: 100 }, open, menu), {
      phoneNumber,
      productName: '아메리카노',
      qty: 2,
      amt: 100,
    })
  })

  test('amt is required and at most 100,000,000', () => {
    for (const body of [
      { phoneNumber, productName: 'coffee', qty: 1 },
      { phoneNumber, productName: 'coffee', qty: 1, amt: '100000001' },
    ]) {
      assert.throws(
        () => toDraft(body, open, menu),
        (error: unknown) =>
          error instanceof HttpProblem && error.status === 400 && /\/amt/.test(error.detail),
      )
    }
  })
})
