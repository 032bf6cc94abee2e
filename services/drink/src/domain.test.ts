import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { EventOf } from '@cafeteria/contracts'
import { ticketFor } from './domain.ts'

test('given a paid order, when the drink service hears Ordered, then a waiting ticket holds product, qty and phone', () => {
  const ordered: EventOf<'Ordered'> = {
    id: 'e1',
    type: 'Ordered',
    source: 'order',
    orderId: 5,
    occurredAt: '2026-01-01T00:00:00.000Z',
    data: { phoneNumber: '01012345679', productName: 'latte', qty: 2, amt: 900, paymentId: 4 },
  }
  const now = new Date('2026-01-01T00:00:01Z')
  assert.deepEqual(ticketFor(ordered, now), {
    orderId: 5,
    phoneNumber: '01012345679',
    productName: 'latte',
    qty: 2,
    status: 'PaymentApproved',
    createTime: now,
  })
})
