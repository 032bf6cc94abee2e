import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  countdown,
  formatPhone,
  initialSignIn,
  RESEND_PAUSE_SECONDS,
  type SignInEvent,
  type SignInState,
  secondsToWait,
  sessionHint,
  signInStep,
} from './sign-in.ts'

const now = Date.parse('2026-03-01T09:00:00Z')
const steps = (...events: SignInEvent[]): SignInState => events.reduce(signInStep, initialSignIn)
const ask = (phone: string, at = now): SignInEvent => ({ type: 'askCode', phone, now: at })
const sent: SignInEvent = { type: 'codeSent', expiresInSeconds: 300, now }

describe('signing in: the phone number', () => {
  test('a valid number is asked a code for, as the services write it; a wrong one is named, nothing sent', () => {
    assert.deepEqual(steps(ask('010-1234-5678')), {
      ...initialSignIn,
      phoneNumber: '01012345678',
      busy: true,
    })
    const wrong = steps(ask('02-123-4567'))
    assert.equal(wrong.busy, false)
    assert.deepEqual(wrong.problem, { key: 'problem_phone' })
  })

  test('the code sent moves on to the code, with a pause before another can be asked', () => {
    const state = steps(ask('01012345678'), sent)
    assert.equal(state.step, 'code')
    assert.equal(state.busy, false)
    assert.equal(state.codeMinutes, 5)
    assert.equal(secondsToWait(state, '01012345678', now), RESEND_PAUSE_SECONDS)
    assert.equal(secondsToWait(state, '01012345678', now + 29_500), 1)
    assert.equal(secondsToWait(state, '01012345678', now + RESEND_PAUSE_SECONDS * 1000), 0)
  })

  test('asking again during the pause does nothing; after it, a new code is asked', () => {
    const state = steps(ask('01012345678'), sent)
    assert.equal(signInStep(state, ask('01012345678', now + 10_000)), state)
    assert.equal(signInStep(state, ask('01012345678', now + 30_000)).busy, true)
  })

  test('a 429 waits as long as Retry-After says, on whichever step it came', () => {
    const limited: SignInEvent = {
      type: 'codeRefused',
      problem: { status: 429, detail: 'Too many codes', retryAfterSeconds: 540 },
      now,
    }
    const first = steps(ask('01012345678'), limited)
    assert.equal(first.step, 'phone')
    assert.deepEqual(first.problem, { key: 'tooManyCodes' })
    assert.equal(secondsToWait(first, '010-1234-5678', now), 540)
    assert.equal(signInStep(first, ask('01012345678', now + 1000)), first)
    const resent = steps(ask('01012345678'), sent, ask('01012345678', now + 31_000), limited)
    assert.equal(resent.step, 'code')
    assert.equal(secondsToWait(resent, '01012345678', now), 540)
  })

  test('the pause is the number’s: another number may be asked for at once', () => {
    const state = steps(ask('01012345678'), sent, { type: 'changePhone' })
    assert.equal(state.step, 'phone')
    assert.equal(secondsToWait(state, '01099998888', now), 0)
    assert.equal(signInStep(state, ask('01099998888')).phoneNumber, '01099998888')
  })

  test('a refused number, an unreachable server and other failures are said beside the field', () => {
    const refused = (status: number): SignInState =>
      steps(ask('01012345678'), { type: 'codeRefused', problem: { status, detail: 'no' }, now })
    assert.deepEqual(refused(400).problem, { key: 'problem_phone' })
    assert.deepEqual(refused(0).problem, { key: 'offline' })
    assert.deepEqual(refused(503).problem, { key: 'failed', detail: 'no' })
    assert.equal(refused(503).busy, false)
  })
})

describe('signing in: the code', () => {
  const onCode = steps(ask('01012345678'), sent)

  test('six digits are sent (spaces dropped); anything else is named and not sent', () => {
    assert.equal(signInStep(onCode, { type: 'submitCode', code: '123 456' }).busy, true)
    for (const code of ['', '12345', '1234567', 'abcdef']) {
      const state = signInStep(onCode, { type: 'submitCode', code })
      assert.equal(state.busy, false, code)
      assert.deepEqual(state.problem, { key: 'problem_code' }, code)
    }
  })

  test('a wrong, used or expired code is one message; the code can be typed again', () => {
    const sentCode = signInStep(onCode, { type: 'submitCode', code: '000000' })
    const refused = signInStep(sentCode, {
      type: 'signInRefused',
      problem: { status: 401, detail: 'The code is wrong, used or expired' },
    })
    assert.deepEqual(refused.problem, { key: 'codeWrong' })
    assert.equal(refused.step, 'code')
    assert.equal(signInStep(refused, { type: 'submitCode', code: '123456' }).busy, true)
  })

  test('while a request is on its way, nothing else is sent', () => {
    const busy = signInStep(onCode, { type: 'submitCode', code: '123456' })
    assert.equal(signInStep(busy, { type: 'submitCode', code: '123456' }), busy)
    assert.equal(signInStep(busy, ask('01012345678', now + 60_000)), busy)
  })
})

describe('what the screen keeps and shows', () => {
  test('a session hint is used only while it has not expired, and only when it is whole', () => {
    const hint = { phoneNumber: '01012345678', expiresAt: '2026-03-02T09:00:00.000Z' }
    assert.deepEqual(sessionHint(JSON.stringify(hint), now), hint)
    assert.equal(sessionHint(JSON.stringify(hint), Date.parse(hint.expiresAt)), undefined)
    for (const raw of [null, '', '{', '{"phoneNumber":"01012345678"}', '{"phoneNumber":1,"expiresAt":"x"}']) {
      assert.equal(sessionHint(raw, now), undefined, String(raw))
    }
  })

  test('countdowns read m:ss; numbers are written with hyphens', () => {
    assert.deepEqual([0, 7, 30, 75, 540].map(countdown), ['0:00', '0:07', '0:30', '1:15', '9:00'])
    assert.equal(formatPhone('01012345678'), '010-1234-5678')
    assert.equal(formatPhone('0111234567'), '011-123-4567')
  })
})
