import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decideAndEvolve, isRejected, published } from '@cafeteria/platform'
import { cancelBlocker, isVisible, type Order, type OrderCommand, orderDecider } from './domain.ts'

/** The decider's answer as these specifications read it: refused, or the order and its announcements. */
function decide(order: Order, command: OrderCommand) {
  const outcome = decideAndEvolve(orderDecider, command, order)
  if (isRejected(outcome)) return { ok: false, reason: outcome.rejected } as const
  assert.ok(outcome.state)
  return { ok: true, order: outcome.state, events: published(outcome.events) } as const
}

const pending: Order = {
  id: 7,
  phoneNumber: '01012345679',
  productName: 'coffee',
  qty: 3,
  amt: 500,
  status: 'Pending',
  paymentId: null,
  cancelRefused: false,
  createTime: new Date('2026-01-01T00:00:00Z'),
}

describe('order', () => {
  test('given a pending order, when its payment is confirmed, then it is Ordered and Ordered carries what the barista and points need', () => {
    const decision = decide(pending, { type: 'ConfirmPayment', paymentId: 41 })
    assert.ok(decision.ok)
    assert.equal(decision.order.status, 'Ordered')
    assert.equal(decision.order.paymentId, 41)
    assert.deepEqual(decision.events, [
      {
        type: 'Ordered',
        orderId: 7,
        data: { phoneNumber: '01012345679', productName: 'coffee', qty: 3, amt: 500, paymentId: 41 },
      },
    ])
  })

  test('given a pending order, when its payment fails, then it is PaymentFailed and OrderRejected asks to void any late payment', () => {
    const decision = decide(pending, { type: 'RecordPaymentFailure', reason: 'payment-unavailable' })
    assert.ok(decision.ok)
    assert.equal(decision.order.status, 'PaymentFailed')
    assert.deepEqual(decision.events, [
      {
        type: 'OrderRejected',
        orderId: 7,
        data: { phoneNumber: '01012345679', amt: 500, reason: 'payment-unavailable' },
      },
    ])
  })

  test('given an order already Ordered, when a payment failure is recorded late, then it is refused', () => {
    assert.equal(
      decide(
        { ...pending, status: 'Ordered', paymentId: 41 },
        { type: 'RecordPaymentFailure', reason: 'abandoned' },
      ).ok,
      false,
    )
  })

  test('given an order already Ordered, when a payment is confirmed again, then it is refused', () => {
    const decision = decide(
      { ...pending, status: 'Ordered', paymentId: 41 },
      { type: 'ConfirmPayment', paymentId: 42 },
    )
    assert.equal(decision.ok, false)
  })

  test('given a failed order, when a late payment confirmation comes, then it is refused', () => {
    const decision = decide(
      { ...pending, status: 'PaymentFailed' },
      { type: 'ConfirmPayment', paymentId: 42 },
    )
    assert.equal(decision.ok, false)
  })

  test('an order exists for the customer only once it is paid', () => {
    assert.equal(isVisible(pending), false)
    assert.equal(isVisible({ ...pending, status: 'PaymentFailed' }), false)
    assert.equal(isVisible({ ...pending, status: 'Ordered' }), true)
  })
})

describe('cancelling an order', () => {
  const ordered: Order = { ...pending, status: 'Ordered', paymentId: 41 }

  test('given a paid order, when it is cancelled, then it is OrderCanceled and OrderCanceled carries the deducted points', () => {
    const decision = decide(ordered, { type: 'Cancel', pointsDeducted: 50 })
    assert.ok(decision.ok)
    assert.equal(decision.order.status, 'OrderCanceled')
    assert.deepEqual(decision.events, [
      {
        type: 'OrderCanceled',
        orderId: 7,
        data: {
          phoneNumber: '01012345679',
          productName: 'coffee',
          qty: 3,
          amt: 500,
          paymentId: 41,
          pointsDeducted: 50,
        },
      },
    ])
  })

  test('given a cancelled order, when it is cancelled again, then it is refused before any points move', () => {
    const canceled: Order = { ...ordered, status: 'OrderCanceled' }
    assert.match(cancelBlocker(canceled) ?? '', /already canceled/)
    assert.equal(decide(canceled, { type: 'Cancel', pointsDeducted: 50 }).ok, false)
  })

  test('given a cancelled order, when the drink service refuses, then it is Ordered again and cannot be cancelled any more', () => {
    const decision = decide({ ...ordered, status: 'OrderCanceled' }, { type: 'RecordCancelRefused' })
    assert.ok(decision.ok)
    assert.equal(decision.order.status, 'Ordered')
    assert.deepEqual(decision.events, [])
    assert.match(cancelBlocker(decision.order) ?? '', /already started/)
  })

  test('given an order that was not cancelled, when a refusal arrives, then nothing changes', () => {
    assert.equal(decide(ordered, { type: 'RecordCancelRefused' }).ok, false)
  })

  test('an order that is not paid cannot be cancelled', () => {
    assert.ok(cancelBlocker(pending))
  })
})
