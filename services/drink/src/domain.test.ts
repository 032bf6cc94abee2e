import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { EventOf } from '@cafeteria/contracts'
import { decideAndEvolve, isRejected, published } from '@cafeteria/platform'
import {
  canceledTicketFor,
  type Drink,
  type DrinkCommand,
  drinkDecider,
  type Ticket,
  ticketFor,
} from './domain.ts'

const ordered: EventOf<'Ordered'> = {
  id: 'e1',
  type: 'Ordered',
  source: 'order',
  orderId: 5,
  occurredAt: '2026-01-01T00:00:00.000Z',
  data: { phoneNumber: '01012345679', productName: 'latte', qty: 2, amt: 900, paymentId: 4 },
}
const now = new Date('2026-01-01T00:00:01Z')
const waiting: Drink = { id: 1, ...ticketFor(ordered, now) }

/** The decider's answer as these specifications read it: refused, or the ticket and its announcements. */
function decide(drink: Ticket, command: DrinkCommand) {
  const outcome = decideAndEvolve(drinkDecider, command, drink)
  if (isRejected(outcome)) return { ok: false, reason: outcome.rejected } as const
  assert.ok(outcome.state)
  return { ok: true, drink: outcome.state, events: published(outcome.events) } as const
}
const about = { phoneNumber: '01012345679', productName: 'latte', qty: 2 }

describe('drink ticket', () => {
  test('given a paid order, when the drink service hears Ordered, then a waiting ticket holds product, qty, amount and phone', () => {
    assert.deepEqual(ticketFor(ordered, now), {
      orderId: 5,
      phoneNumber: '01012345679',
      productName: 'latte',
      qty: 2,
      amt: 900,
      status: 'PaymentApproved',
      cancelRefused: false,
      createTime: now,
      receiptedTime: null,
      madeTime: null,
      statusTime: now,
    })
  })

  test('given a waiting ticket, when the barista accepts and then finishes it, then Receipted and Made follow', () => {
    const acceptedAt = new Date('2026-01-01T00:01:00Z')
    const madeAt = new Date('2026-01-01T00:03:30Z')
    const accepted = decide(waiting, { type: 'Advance', to: 'Receipted', at: acceptedAt })
    assert.ok(accepted.ok)
    assert.deepEqual(accepted.events, [{ type: 'Receipted', orderId: 5, data: about }])
    assert.deepEqual(accepted.drink.receiptedTime, acceptedAt)
    const made = decide(accepted.drink, { type: 'Advance', to: 'Made', at: madeAt })
    assert.ok(made.ok)
    assert.equal(made.drink.status, 'Made')
    assert.deepEqual([made.drink.receiptedTime, made.drink.madeTime], [acceptedAt, madeAt])
    assert.deepEqual(made.drink.statusTime, madeAt)
    assert.deepEqual(made.events, [{ type: 'Made', orderId: 5, data: about }])
  })

  for (const [from, to] of [
    ['PaymentApproved', 'Made'],
    ['PaymentApproved', 'PaymentApproved'],
    ['Receipted', 'Receipted'],
    ['Made', 'Receipted'],
    ['DrinkCanceled', 'Receipted'],
    ['DrinkCanceled', 'Made'],
    ['PaymentApproved', 'Brewing'],
    ['PaymentApproved', 'DrinkCanceled'],
  ] as const) {
    test(`given a ${from} ticket, when the barista sets ${to}, then it is refused`, () => {
      assert.equal(decide({ ...waiting, status: from }, { type: 'Advance', to, at: now }).ok, false)
    })
  }

  test('given a waiting ticket, when the order is cancelled, then the ticket is DrinkCanceled', () => {
    const decision = decide(waiting, { type: 'Cancel', at: now })
    assert.ok(decision.ok)
    assert.equal(decision.drink.status, 'DrinkCanceled')
    assert.deepEqual(decision.events, [{ type: 'DrinkCanceled', orderId: 5, data: about }])
  })

  for (const started of ['Receipted', 'Made'] as const) {
    test(`given a ${started} ticket, when the order is cancelled, then CancelFailed once and the ticket stays`, () => {
      const decision = decide({ ...waiting, status: started }, { type: 'Cancel', at: now })
      assert.ok(decision.ok)
      assert.equal(decision.drink.status, started)
      assert.equal(decision.drink.cancelRefused, true)
      const again = decide(decision.drink, { type: 'Cancel', at: now })
      assert.ok(again.ok)
      assert.deepEqual(again.events, [], 'the same cancel re-sent is not refused twice')
      assert.deepEqual(decision.events, [
        { type: 'CancelFailed', orderId: 5, data: { ...about, drinkStatus: started } },
      ])
    })
  }

  test('given a cancelled ticket, when the cancel comes again, then nothing happens', () => {
    const decision = decide({ ...waiting, status: 'DrinkCanceled' }, { type: 'Cancel', at: now })
    assert.ok(decision.ok)
    assert.deepEqual(decision.events, [])
  })

  test('a cancel that overtakes the order leaves a ticket cancelled from the start', () => {
    const canceled: EventOf<'OrderCanceled'> = {
      ...ordered,
      type: 'OrderCanceled',
      data: { ...ordered.data, pointsDeducted: 90 },
    }
    assert.equal(canceledTicketFor(canceled, now).status, 'DrinkCanceled')
  })
})
