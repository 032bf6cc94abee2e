import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type PlacedOrder, seededRandom } from './chaos.ts'
import { orderProblems } from './invariants.ts'

const placed = (told: Partial<PlacedOrder> = {}): PlacedOrder => ({
  id: 7,
  key: 'k',
  phoneNumber: '01079900000',
  productName: '아메리카노',
  qty: 2,
  amt: 9000,
  cancel: 'none',
  started: false,
  ...told,
})
const seen = (status: string, payment: string, drink: string, paid = 9000) => ({
  status,
  payments: [payment],
  paid: [paid],
  drinks: [drink],
})

test('given the end states a saga may reach, when checked, then none is a problem', () => {
  assert.deepEqual(orderProblems(placed(), seen('Ordered', 'PaymentApproved', 'PaymentApproved')), [])
  assert.deepEqual(orderProblems(placed({ started: true }), seen('Ordered', 'PaymentApproved', 'Made')), [])
  assert.deepEqual(
    orderProblems(placed({ cancel: 'done' }), seen('OrderCanceled', 'PaymentCanceled', 'DrinkCanceled')),
    [],
  )
  // Cancelled, then refused by the barista who had started: the order stands, paid.
  assert.deepEqual(
    orderProblems(placed({ cancel: 'done', started: true }), seen('Ordered', 'PaymentApproved', 'Receipted')),
    [],
  )
})

test('given money or tickets out of step with the order, when checked, then each is named', () => {
  const twice = {
    ...seen('Ordered', 'PaymentApproved', 'Made'),
    payments: ['PaymentApproved', 'PaymentApproved'],
  }
  assert.match(orderProblems(placed(), twice).join(), /payments \[PaymentApproved, PaymentApproved\]/)
  assert.match(
    orderProblems(
      placed({ cancel: 'done' }),
      seen('OrderCanceled', 'PaymentApproved', 'DrinkCanceled'),
    ).join(),
    /expected one PaymentCanceled/,
  )
  assert.match(
    orderProblems(placed(), seen('Ordered', 'PaymentApproved', 'PaymentApproved', 4500)).join(),
    /of 4500, expected one PaymentApproved of 9000/,
  )
  assert.match(
    orderProblems(placed(), { ...seen('Ordered', 'PaymentApproved', 'x'), drinks: [] }).join(),
    /tickets \[\], expected one/,
  )
  assert.match(orderProblems(placed(), seen('HTTP 404', '', '')).join(), /order 7 .*HTTP 404/)
})

test('given what the customer and the barista were told, when the end state contradicts it, then it is named', () => {
  assert.match(
    orderProblems(placed(), seen('OrderCanceled', 'PaymentCanceled', 'DrinkCanceled')).join(),
    /nobody asked/,
  )
  assert.match(
    orderProblems(
      placed({ cancel: 'done', started: true }),
      seen('OrderCanceled', 'PaymentCanceled', 'DrinkCanceled'),
    ).join(),
    /after the barista was told/,
  )
  assert.match(
    orderProblems(
      placed({ cancel: 'refused' }),
      seen('Ordered', 'PaymentApproved', 'PaymentApproved'),
    ).join(),
    /cancel answered refused, yet the order stands/,
  )
})

test('given a seed, when drawn from twice, then the same numbers in [0, 1); another seed differs', () => {
  const draw = (seed: number) => Array.from({ length: 5 }, seededRandom(seed))
  assert.deepEqual(draw(42), draw(42))
  assert.notDeepEqual(draw(42), draw(43))
  assert.ok(draw(7).every((n) => n >= 0 && n < 1))
})
