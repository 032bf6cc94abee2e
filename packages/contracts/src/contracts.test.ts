import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decodeEvent, maskPhoneNumber, normalizePhoneNumber, wholeNumber } from './index.ts'

describe('phone numbers', () => {
  test('Korean mobile numbers are accepted with or without hyphens and stored as digits', () => {
    assert.equal(normalizePhoneNumber('01012345678'), '01012345678')
    assert.equal(normalizePhoneNumber('010-1234-5678'), '01012345678')
    assert.equal(normalizePhoneNumber('011-123-4567'), '0111234567')
  })
  test('anything else is refused', () => {
    for (const bad of [
      '',
      '0101234567a',
      '02-123-4567',
      '010123456789',
      '010--1234-5678',
      '+821012345678',
      '0101234',
    ]) {
      assert.equal(normalizePhoneNumber(bad), undefined, bad)
    }
  })
  test('staff see the last 4 digits only, the length kept', () => {
    assert.equal(maskPhoneNumber('01012345679'), '*******5679')
    assert.equal(maskPhoneNumber('0111234567'), '******4567')
  })
})

describe('whole numbers', () => {
  test('numbers and digit strings within range are accepted', () => {
    assert.equal(wholeNumber(3, { minimum: 1, maximum: 10 }), 3)
    assert.equal(wholeNumber('3', { minimum: 1, maximum: 10 }), 3)
  })
  test('out of range is refused', () => {
    assert.equal(wholeNumber('0', { minimum: 1, maximum: 10 }), undefined)
    assert.equal(wholeNumber('11', { minimum: 1, maximum: 10 }), undefined)
  })
})

describe('decoding events', () => {
  const ordered = {
    id: 'e1',
    type: 'Ordered',
    source: 'order',
    orderId: 1,
    occurredAt: '2026-01-01T00:00:00.000Z',
    data: { phoneNumber: '01012345678', productName: 'coffee', qty: 1, amt: 100, paymentId: 1 },
  }
  test('a valid event decodes', () => {
    const decoded = decodeEvent(JSON.stringify(ordered))
    assert.ok(decoded.ok)
    assert.equal(decoded.event.type, 'Ordered')
  })
  test('an invalid event is refused with the reason', () => {
    const decoded = decodeEvent(JSON.stringify({ ...ordered, data: { ...ordered.data, qty: 0 } }))
    assert.equal(decoded.ok, false)
    assert.match(!decoded.ok ? decoded.reason : '', /qty/)
  })
  test('unknown types and non-JSON are refused', () => {
    assert.equal(decodeEvent('{"type":"Nope"}').ok, false)
    assert.equal(decodeEvent('not json').ok, false)
  })
})
