import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decideAndEvolve, isRejected } from '@cafeteria/platform'
import { announce, type Payment, paymentDecider } from './domain.ts'

const at = new Date('2026-01-01T00:00:00Z')

/** The decider's answer to a payment, as these specifications read it. */
function decidePay(command: { orderId: number; phoneNumber: string; amt: number }, existing?: Payment) {
  const decision = paymentDecider.decide({ ...command, type: 'Pay', at }, existing)
  if (isRejected(decision)) return { kind: 'conflict', reason: decision.rejected }
  return decision.length > 0 ? { kind: 'approve' } : { kind: 'already-paid', payment: existing }
}
const approvedEvents = (payment: Payment) =>
  announce([{ ...payment, type: 'PaymentApproved', at: payment.createTime }], payment)

/** The refunded payment and its announcement, or undefined when there is nothing to refund. */
function decideRefund(payment: Payment | undefined) {
  const outcome = decideAndEvolve(paymentDecider, { type: 'Refund' }, payment)
  if (isRejected(outcome) || outcome.events.length === 0 || !payment || !outcome.state) return undefined
  const refunded = { ...outcome.state, id: payment.id }
  return { refunded, events: announce(outcome.events, refunded) }
}

const pay = { type: 'Pay' as const, orderId: 3, phoneNumber: '01012345678', amt: 1000 }
const existing: Payment = {
  id: 9,
  ...pay,
  status: 'PaymentApproved',
  createTime: new Date('2026-01-01T00:00:00Z'),
}

describe('payment', () => {
  test('given no payment for the order, when it is paid, then the payment is approved', () => {
    assert.deepEqual(decidePay(pay, undefined), { kind: 'approve' })
  })

  test('given the order was paid, when the same payment is retried, then the first payment is the answer', () => {
    assert.deepEqual(decidePay(pay, existing), { kind: 'already-paid', payment: existing })
  })

  test('given the order was paid, when a payment with another amount comes, then it is a conflict', () => {
    assert.equal(decidePay({ ...pay, amt: 2000 }, existing).kind, 'conflict')
  })

  test('an approved payment announces PaymentApproved with its id and amount', () => {
    assert.deepEqual(approvedEvents(existing), [
      { type: 'PaymentApproved', orderId: 3, data: { paymentId: 9, phoneNumber: '01012345678', amt: 1000 } },
    ])
  })
})

describe('refund', () => {
  test('given an approved payment, when its drink is cancelled, then it is refunded once with PaymentCanceled', () => {
    const refund = decideRefund(existing)
    assert.ok(refund)
    assert.equal(refund.refunded.status, 'PaymentCanceled')
    assert.deepEqual(refund.events, [
      { type: 'PaymentCanceled', orderId: 3, data: { paymentId: 9, phoneNumber: '01012345678', amt: 1000 } },
    ])
  })
  test('given a refunded payment, when the cancel comes again, then nothing happens', () => {
    assert.equal(decideRefund({ ...existing, status: 'PaymentCanceled' }), undefined)
  })
  test('given no payment, when a drink is cancelled, then nothing happens', () => {
    assert.equal(decideRefund(undefined), undefined)
  })
})
