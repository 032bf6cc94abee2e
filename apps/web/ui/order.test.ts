import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isPhoneNumber, minutesOf, newIdempotencyKey, problemsOf, totalOf } from './order.ts'

const latte = { id: 'caffe-latte', name: '카페라테', en: 'Caffè latte', price: 5000, available: true }

describe('the order form', () => {
  test('the total is the price times the quantity; nothing chosen, nothing to pay', () => {
    assert.equal(totalOf({ item: latte, qty: 3, phone: '' }), 15_000)
    assert.equal(totalOf({ item: undefined, qty: 3, phone: '' }), 0)
  })

  test('every problem is named, in the order the fields appear', () => {
    assert.deepEqual(problemsOf({ item: undefined, qty: 0, phone: '1234' }), ['product', 'qty', 'phone'])
    assert.deepEqual(problemsOf({ item: latte, qty: Number.NaN, phone: '010-1234-5678' }), ['qty'])
    const dear = { id: 'x', name: 'x', price: 1_000_000, available: true }
    assert.deepEqual(problemsOf({ item: dear, qty: 101, phone: '01012345678' }), ['amount'])
    assert.deepEqual(problemsOf({ item: latte, qty: 2, phone: '010-1234-5678' }), [])
  })

  test('signed in, no phone number is asked: the session names the customer', () => {
    assert.deepEqual(problemsOf({ item: latte, qty: 1, phone: undefined }), [])
    assert.deepEqual(problemsOf({ item: undefined, qty: 1, phone: undefined }), ['product'])
  })

  test('a sold-out drink cannot be ordered; the quantity is capped by the menu’s maxQty', () => {
    const soldOut = { ...latte, available: false }
    assert.deepEqual(problemsOf({ item: soldOut, qty: 1, phone: '01012345678' }, 20), ['product'])
    assert.deepEqual(problemsOf({ item: latte, qty: 21, phone: '01012345678' }, 20), ['qty'])
    assert.deepEqual(problemsOf({ item: latte, qty: 20, phone: '01012345678' }, 20), [])
  })

  test('phone numbers follow the services: Korean mobile prefixes, 10–11 digits, hyphens optional', () => {
    for (const ok of ['01012345678', '010-1234-5678', '0111234567', '019-123-4567'])
      assert.ok(isPhoneNumber(ok), ok)
    for (const bad of ['', '02-123-4567', '0101234567890', '010-12a4-5678', '01212345678']) {
      assert.equal(isPhoneNumber(bad), false, bad)
    }
  })

  test('an idempotency key is 32 hex digits from the random source; estimates round up to whole minutes', () => {
    const key = newIdempotencyKey((bytes) => bytes.fill(171))
    assert.equal(key, 'ab'.repeat(16))
    assert.deepEqual([0, 59, 60, 61, 310].map(minutesOf), [1, 1, 1, 2, 6])
  })
})
