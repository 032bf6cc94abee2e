import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { pointsFor } from '@cafeteria/contracts'
import {
  type AccruePoints,
  type DeductPoints,
  decideEntry as decide,
  type EntryDraft,
  type EntryKind,
  ledgerOf,
  type PointEntry,
  type RestorePoints,
  recordedEvents,
} from './domain.ts'

const terms = {
  orderId: 7,
  phoneNumber: '01012345678',
  paymentId: 3,
  productName: 'latte',
  qty: 2,
  amt: 900,
}
const accrue: AccruePoints = { type: 'AccruePoints', ...terms }
const deduct: DeductPoints = { type: 'DeductPoints', ...terms }
const restore: RestorePoints = { type: 'RestorePoints', orderId: 7, phoneNumber: '01012345678' }

const draft = (kind: EntryKind, point: number): EntryDraft => ({ ...terms, kind, point })
let nextId = 1
/** An entry already in the ledger. */
const given = (kind: EntryKind, point: number, totalPoint = 0): PointEntry => ({
  ...draft(kind, point),
  id: nextId++,
  totalPoint,
  createTime: new Date('2026-01-01T00:00:00Z'),
})

describe('points for an amount', () => {
  test('are 10% of the amount, truncated', () => {
    assert.deepEqual([0, 9, 10, 500, 999, 100_000_000].map(pointsFor), [0, 0, 1, 50, 99, 10_000_000])
  })
})

describe('accrual', () => {
  test('given no entries, when the order is paid, then its points are recorded and added', () => {
    assert.deepEqual(decide(accrue, ledgerOf([])), {
      kind: 'record',
      entry: draft('Order', 90),
      balanceChange: 90,
      announce: true,
    })
  })

  test('given the order accrued, when Ordered comes again, then nothing changes', () => {
    const order = given('Order', 90)
    assert.deepEqual(decide(accrue, ledgerOf([order])), { kind: 'already-done', entry: order })
  })

  test('given the order was cancelled before its points arrived, when they arrive, then they are recorded but not added', () => {
    assert.deepEqual(decide(accrue, ledgerOf([given('Cancel', -90)])), {
      kind: 'record',
      entry: draft('Order', 90),
      balanceChange: 0,
      announce: false,
    })
  })

  test('given a cancel for another phone, when the accrual arrives, then it is a conflict', () => {
    const cancel = { ...given('Cancel', -90), phoneNumber: '01099999999' }
    assert.equal(decide(accrue, ledgerOf([cancel])).kind, 'conflict')
  })
})

describe('deduction', () => {
  test('given the order accrued, when it is cancelled, then its points are deducted', () => {
    assert.deepEqual(decide(deduct, ledgerOf([given('Order', 90)])), {
      kind: 'record',
      entry: draft('Cancel', -90),
      balanceChange: -90,
      announce: true,
    })
  })

  test('given the accrual has not arrived, when the order is cancelled, then the cancel is recorded and the balance left alone', () => {
    assert.deepEqual(decide(deduct, ledgerOf([])), {
      kind: 'record',
      entry: draft('Cancel', -90),
      balanceChange: 0,
      announce: true,
    })
  })

  test('given the order was cancelled, when the cancel is retried, then the first answer stands', () => {
    const cancel = given('Cancel', -90, 10)
    assert.deepEqual(decide(deduct, ledgerOf([given('Order', 90), cancel])), {
      kind: 'already-done',
      entry: cancel,
    })
  })

  test('given the order was cancelled and restored, when it is cancelled again, then nothing more is taken', () => {
    const cancel = given('Cancel', -90)
    const ledger = ledgerOf([given('Order', 90), cancel, given('Restore', 90)])
    assert.deepEqual(decide(deduct, ledger), { kind: 'already-done', entry: cancel })
  })

  test('given the order accrued, when a cancel with another amount or phone comes, then it is a conflict', () => {
    const ledger = ledgerOf([given('Order', 90)])
    assert.equal(decide({ ...deduct, amt: 1000 }, ledger).kind, 'conflict')
    assert.equal(decide({ ...deduct, phoneNumber: '01099999999' }, ledger).kind, 'conflict')
  })

  test('given the order was cancelled, when a cancel with other terms comes, then it is a conflict', () => {
    assert.equal(decide({ ...deduct, amt: 1000 }, ledgerOf([given('Cancel', -90)])).kind, 'conflict')
  })
})

describe('restore', () => {
  test('given a deducted order, when its cancel failed, then what was deducted comes back', () => {
    assert.deepEqual(decide(restore, ledgerOf([given('Order', 90), given('Cancel', -90)])), {
      kind: 'record',
      entry: draft('Restore', 90),
      balanceChange: 90,
      announce: true,
    })
  })

  test('given a cancel recorded before the accrual, when the cancel failed, then the points still come back', () => {
    // The late accrual will net out against the cancel, so the order ends with its points once.
    const decision = decide(restore, ledgerOf([given('Cancel', -90)]))
    assert.equal(decision.kind === 'record' && decision.balanceChange, 90)
  })

  test('given the order was restored, when CancelFailed comes again, then nothing changes', () => {
    const restored = given('Restore', 90)
    assert.deepEqual(decide(restore, ledgerOf([given('Order', 90), given('Cancel', -90), restored])), {
      kind: 'already-done',
      entry: restored,
    })
  })

  test('given nothing was deducted, when the cancel failed, then there is nothing to restore', () => {
    assert.deepEqual(decide(restore, ledgerOf([given('Order', 90)])), { kind: 'nothing' })
  })

  test('given a cancel for another phone, when CancelFailed comes, then it is a conflict', () => {
    const ledger = ledgerOf([{ ...given('Cancel', -90), phoneNumber: '01099999999' }])
    assert.equal(decide(restore, ledger).kind, 'conflict')
  })
})

describe('announcements', () => {
  test('each recorded entry announces the points moved and the balance after', () => {
    assert.deepEqual(
      [given('Order', 90, 140), given('Cancel', -90, 50), given('Restore', 90, 140)].flatMap(recordedEvents),
      [
        {
          type: 'PointsAccrued',
          orderId: 7,
          data: { phoneNumber: '01012345678', point: 90, totalPoint: 140 },
        },
        {
          type: 'PointsDeducted',
          orderId: 7,
          data: { phoneNumber: '01012345678', point: 90, totalPoint: 50 },
        },
        {
          type: 'PointsRestored',
          orderId: 7,
          data: { phoneNumber: '01012345678', point: 90, totalPoint: 140 },
        },
      ],
    )
  })
})
