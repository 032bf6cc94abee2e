import assert from 'node:assert/strict'
import { test } from 'node:test'
import { failureLimit } from './failure-limit.ts'
import { HttpProblem } from './problem.ts'

const limitOf = (max: number, clock: { now: number }, maxKeys?: number) =>
  failureLimit({
    max,
    windowMs: 60_000,
    type: 'too-many',
    detail: 'wait',
    now: () => clock.now,
    ...(maxKeys !== undefined && { maxKeys }),
  })

const refusal = (check: () => void) => {
  try {
    check()
  } catch (error) {
    if (error instanceof HttpProblem) return error
    throw error
  }
  return undefined
}

test('max failures in a minute, then 429 with Retry-After until the minute from the first is over', () => {
  const clock = { now: 1_000_000 }
  const limit = limitOf(3, clock)
  for (let i = 0; i < 3; i++) {
    assert.equal(
      refusal(() => limit.check('a')),
      undefined,
      `check ${i + 1}`,
    )
    assert.equal(limit.failed('a'), i === 2, 'the third failure is the last one allowed')
    clock.now += 10_000
  }
  const refused = refusal(() => limit.check('a'))
  assert.equal(refused?.status, 429)
  assert.equal(refused?.headers['retry-after'], '30')
  assert.equal(
    refusal(() => limit.check('b')),
    undefined,
    'another address is not refused',
  )
  clock.now = 1_000_000 + 60_000
  assert.equal(
    refusal(() => limit.check('a')),
    undefined,
    'a new minute, a new count',
  )
  assert.equal(limit.failed('a'), false)
})

test('0 counts nothing', () => {
  const clock = { now: 0 }
  const limit = limitOf(0, clock)
  for (let i = 0; i < 100; i++) assert.equal(limit.failed('a'), false)
  assert.equal(
    refusal(() => limit.check('a')),
    undefined,
  )
})

test('past the keys it remembers, the oldest window is forgotten first', () => {
  const clock = { now: 0 }
  const limit = limitOf(1, clock, 2)
  limit.failed('a')
  limit.failed('b')
  limit.failed('c')
  assert.equal(
    refusal(() => limit.check('a')),
    undefined,
    'forgotten',
  )
  assert.equal(refusal(() => limit.check('b'))?.status, 429)
  assert.equal(refusal(() => limit.check('c'))?.status, 429)
})
