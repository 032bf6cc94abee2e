import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DEFAULT_MAKE_SECONDS, estimate, placeOf, typicalMakeSeconds } from './queue.ts'

describe('typical make time', () => {
  test('given no ticket made yet, when the wait is estimated, then the default make time is used', () => {
    assert.equal(typicalMakeSeconds([]), DEFAULT_MAKE_SECONDS)
    assert.equal(typicalMakeSeconds([], 90), 90)
  })

  test('given recent make times, then the median is taken, so one forgotten ticket does not count', () => {
    assert.equal(typicalMakeSeconds([60, 3600, 90]), 90)
    assert.equal(typicalMakeSeconds([60, 100, 3600, 80]), 90)
  })

  test('given impossible durations (clock skew, missing times), then they are left out', () => {
    assert.equal(typicalMakeSeconds([-5, 0, Number.NaN, 150]), 150)
    assert.equal(typicalMakeSeconds([-5, 0]), DEFAULT_MAKE_SECONDS)
  })
})

describe('queue estimate', () => {
  test('given an empty queue, when a customer looks, then the wait is one make time', () => {
    assert.deepEqual(estimate({ waiting: 0, inProgress: 0, makeSeconds: 100 }), {
      waiting: 0,
      inProgress: 0,
      makeSeconds: 100,
      estimatedWaitSeconds: 100,
    })
  })

  test('given 3 waiting and 2 being made, then a new order waits for the 3, half of the 2, and itself', () => {
    assert.equal(estimate({ waiting: 3, inProgress: 2, makeSeconds: 60 }).estimatedWaitSeconds, 300)
  })

  test("given a customer's waiting ticket with 2 ahead, then it is third in line and waits 3 make times plus the work under way", () => {
    const queue = { waiting: 5, inProgress: 1, makeSeconds: 60 }
    assert.deepEqual(placeOf(queue, { status: 'PaymentApproved', waitingAhead: 2 }), {
      status: 'PaymentApproved',
      position: 3,
      estimatedWaitSeconds: 210,
    })
  })

  test('given a ticket being made, then it has no place in line and about half a make time left', () => {
    assert.deepEqual(placeOf({ waiting: 4, inProgress: 1, makeSeconds: 90 }, { status: 'Receipted' }), {
      status: 'Receipted',
      position: null,
      estimatedWaitSeconds: 45,
    })
  })
})
