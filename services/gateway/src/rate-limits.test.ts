import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type Answer, call, callFrom, loopbackClient } from '@cafeteria/platform/testing'
import { sessionOf, startAnyUpstream, startGatewayOver } from './testing.ts'

const ALICE = '01055550001'
const BOB = '01055550002'
const anOrder = { productName: '아메리카노', qty: 1 }

const post = (url: string, json: unknown, headers: Record<string, string> = {}) =>
  call(url, { method: 'POST', json, headers })

function assertLimited(answer: Answer, windowSeconds: number) {
  assert.equal(answer.status, 429)
  assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/)
  assert.equal(answer.body.status, 429)
  assert.match(answer.body.type, /\/rate-limited$/)
  const retryAfter = Number(answer.headers.get('retry-after'))
  assert.ok(retryAfter >= 1 && retryAfter <= windowSeconds, `Retry-After ${retryAfter}`)
}

describe('rate limits at the gateway', () => {
  test('orders past the limit are 429 with Retry-After and a problem body; reading is not counted', async (t) => {
    const gateway = await startGatewayOver(t, await startAnyUpstream(t), {
      RATE_LIMIT_ORDERS_PER_MINUTE: '3',
    })
    const orders = `${gateway.url}/orders`
    for (let left = 2; left >= 0; left--) {
      const placed = await post(orders, anOrder)
      assert.equal(placed.status, 201)
      assert.equal(placed.headers.get('x-ratelimit-remaining'), String(left))
    }
    const over = await post(orders, anOrder)
    assertLimited(over, 60)
    assert.match(over.body.detail, /at most 3 a minute from each address/)
    for (let i = 0; i < 5; i++) assert.equal((await call(`${gateway.url}/orders/1`)).status, 201)
  })

  test('a signed-in customer is counted by phone: not by address, and apart from other customers', async (t) => {
    const gateway = await startGatewayOver(t, await startAnyUpstream(t), {
      RATE_LIMIT_ORDERS_PER_MINUTE: '2',
    })
    const orders = `${gateway.url}/orders`
    // The address's own budget, used up by requests without a session ...
    for (let i = 0; i < 2; i++) assert.equal((await post(orders, anOrder)).status, 201)
    assert.equal((await post(orders, anOrder)).status, 429)
    // ... leaves the customers at that address theirs.
    const alice = { authorization: sessionOf(ALICE) }
    for (let i = 0; i < 2; i++) assert.equal((await post(orders, anOrder, alice)).status, 201)
    const over = await post(orders, anOrder, alice)
    assertLimited(over, 60)
    assert.match(over.body.detail, /for each customer/)
    assert.equal((await post(orders, anOrder, { authorization: sessionOf(BOB) })).status, 201)
    // Signing in again, or going elsewhere, is still the same phone.
    assert.equal((await post(orders, anOrder, { authorization: sessionOf(ALICE) })).status, 429)
    const elsewhere = loopbackClient(1)
    if (elsewhere) {
      const moved = await callFrom(elsewhere, orders, { method: 'POST', json: anOrder, headers: alice })
      assert.equal(moved.status, 429)
    }
  })

  test('a forged session is counted by address, like no session', async (t) => {
    const gateway = await startGatewayOver(t, await startAnyUpstream(t), {
      RATE_LIMIT_ORDERS_PER_MINUTE: '1',
    })
    const orders = `${gateway.url}/orders`
    assert.equal((await post(orders, anOrder, { authorization: 'Bearer forged.token' })).status, 201)
    assert.equal((await post(orders, anOrder, { authorization: 'Bearer another.forgery' })).status, 429)
  })

  test('cancels have a budget of their own', async (t) => {
    const gateway = await startGatewayOver(t, await startAnyUpstream(t), {
      RATE_LIMIT_ORDERS_PER_MINUTE: '1',
      RATE_LIMIT_CANCELS_PER_MINUTE: '2',
    })
    const alice = { authorization: sessionOf(ALICE) }
    const cancel = (id: number) =>
      call(`${gateway.url}/orders/${id}`, {
        method: 'PATCH',
        json: { status: 'OrderCanceled' },
        headers: alice,
      })
    assert.equal((await cancel(1)).status, 201)
    assert.equal((await cancel(2)).status, 201)
    assertLimited(await cancel(3), 60)
    assert.equal((await post(`${gateway.url}/orders`, anOrder, alice)).status, 201)
  })

  test('sign-in codes and attempts are limited per address; another address has its own budget', async (t) => {
    const gateway = await startGatewayOver(t, await startAnyUpstream(t), {
      RATE_LIMIT_AUTH_CODES_PER_10_MINUTES: '2',
      RATE_LIMIT_AUTH_TOKENS_PER_10_MINUTES: '3',
    })
    const codes = `${gateway.url}/auth/code`
    const tokens = `${gateway.url}/auth/token`
    // A different phone each time: the per-phone limit is customercenter's; this one is the address's.
    assert.equal((await post(codes, { phoneNumber: '01055550101' })).status, 201)
    assert.equal((await post(codes, { phoneNumber: '01055550102' })).status, 201)
    const over = await post(codes, { phoneNumber: '01055550103' }, { authorization: sessionOf(ALICE) })
    assertLimited(over, 600)
    assert.ok(Number(over.headers.get('retry-after')) > 60, 'a 10-minute window')
    for (let i = 0; i < 3; i++) {
      assert.equal((await post(tokens, { phoneNumber: '01055550101', code: '000000' })).status, 201)
    }
    assertLimited(await post(tokens, { phoneNumber: '01055550101', code: '000000' }), 600)
    const elsewhere = loopbackClient(1)
    if (elsewhere) {
      const other = await callFrom(elsewhere, codes, { method: 'POST', json: { phoneNumber: '01055550104' } })
      assert.equal(other.status, 201)
    }
  })

  test('a limit set to 0 is off; the others stay', async (t) => {
    const gateway = await startGatewayOver(t, await startAnyUpstream(t), {
      RATE_LIMIT_ORDERS_PER_MINUTE: '0',
      RATE_LIMIT_CANCELS_PER_MINUTE: '1',
    })
    for (let i = 0; i < 30; i++) assert.equal((await post(`${gateway.url}/orders`, anOrder)).status, 201)
    const cancel = () =>
      call(`${gateway.url}/orders/1`, { method: 'PATCH', json: { status: 'OrderCanceled' } })
    assert.equal((await cancel()).status, 201)
    assert.equal((await cancel()).status, 429)
  })

  test('open mode has no limits: 100 clients at once from one address all get through (siege -c100)', async (t) => {
    const gateway = await startGatewayOver(t, await startAnyUpstream(t), { OPEN_API: 'true' })
    const statuses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        i % 2 === 0
          ? post(`${gateway.url}/orders`, { phoneNumber: ALICE, ...anOrder, amt: 4500 }).then((a) => a.status)
          : post(`${gateway.url}/auth/code`, { phoneNumber: ALICE }).then((a) => a.status),
      ),
    )
    assert.deepEqual(new Set(statuses), new Set([201]))
  })
})
