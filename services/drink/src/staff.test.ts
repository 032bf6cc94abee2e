/**
 * The barista's routes over real HTTP: locked without the staff token (even with none configured),
 * open only in open mode without one, phones masked, and wrong tokens limited per client address.
 */
import assert from 'node:assert/strict'
import { describe, type TestContext, test } from 'node:test'
import { startInMemorySystem } from '@cafeteria/cafe/testing'
import { ConfigError } from '@cafeteria/platform'
import { call, eventOf, openEvents, startServiceFixture } from '@cafeteria/platform/testing'
import { drinkService } from './index.ts'

const TOKEN = 'counter-tablet-token-0123456789'
const STAFF = { authorization: `Bearer ${TOKEN}` }
const WRONG = { authorization: 'Bearer counter-tablet-token-guess-0001' }
const secure = { OPEN_API: 'false', AUTH_SECRET: 'a-secret-for-the-sessions-of-this-test' }
const phoneNumber = '01012345679'

async function drinkWithTicket(t: TestContext, env: Record<string, string>) {
  const fixture = await startServiceFixture(drinkService, { env })
  t.after(() => fixture.stop())
  const product = { phoneNumber, productName: 'latte', qty: 2 }
  await fixture.deliver(eventOf('Ordered', 1, { ...product, amt: 900, paymentId: 1 }, { source: 'order' }))
  return fixture.url
}

/** Each staff route once; the board through a stream that is closed at once. */
const staffRoutes = ['/drinks', '/drinks/1', '/drinks/search/findByOrderId?orderId=1', '/drinks/board/stream']
async function statusOf(url: string, route: string, headers: Record<string, string>) {
  if (route.endsWith('/stream')) {
    const stream = await openEvents(`${url}${route}`, headers)
    stream.close()
    return stream.status
  }
  return (await call(`${url}${route}`, { headers })).status
}
const accept = (url: string, headers: Record<string, string>) =>
  call(`${url}/drinks/1`, { method: 'PATCH', json: { status: 'Receipted' }, headers })
const access = async (url: string, headers: Record<string, string> = {}) =>
  call(`${url}/drinks/board/access`, { headers })

describe('secure mode', () => {
  test('with no STAFF_TOKEN configured, every staff route refuses, without a token or with one', async (t) => {
    const url = await drinkWithTicket(t, secure)
    for (const headers of [{}, WRONG]) {
      for (const route of staffRoutes) assert.equal(await statusOf(url, route, headers), 401, route)
      const patched = await accept(url, headers)
      assert.equal(patched.status, 401)
      assert.equal(patched.headers.get('www-authenticate'), 'Bearer realm="staff"')
    }
    assert.deepEqual((await access(url, WRONG)).body, { tokenRequired: true, granted: false })
  })

  test('with the token, tickets and the board show only the last 4 digits of the phone', async (t) => {
    const url = await drinkWithTicket(t, { ...secure, STAFF_TOKEN: TOKEN })
    for (const route of staffRoutes) assert.equal(await statusOf(url, route, {}), 401, route)
    const masked = '*******5679'
    assert.equal(
      (await call(`${url}/drinks`, { headers: STAFF })).body._embedded.drinks[0].phoneNumber,
      masked,
    )
    assert.equal((await call(`${url}/drinks/1`, { headers: STAFF })).body.phoneNumber, masked)
    const board = await openEvents(`${url}/drinks/board/stream`, STAFF)
    const shown = await board.next()
    board.close()
    assert.equal(shown.data.tickets[0].phoneNumber, masked)
    const accepted = await accept(url, STAFF)
    assert.equal(accepted.status, 200)
    assert.equal(accepted.body.phoneNumber, masked)
    assert.deepEqual((await access(url, STAFF)).body, { tokenRequired: true, granted: true })
  })

  test('wrong tokens past the limit get 429 from that address, the right one and the access question too', async (t) => {
    const url = await drinkWithTicket(t, {
      ...secure,
      STAFF_TOKEN: TOKEN,
      STAFF_TOKEN_FAILURES_PER_MINUTE: '3',
    })
    const from = (address: string, headers: Record<string, string> = {}) => ({
      'x-forwarded-for': address,
      ...headers,
    })
    // No token is no guess: never counted.
    for (let i = 0; i < 5; i++) assert.equal(await statusOf(url, '/drinks', from('198.51.100.1')), 401)
    assert.equal(await statusOf(url, '/drinks', from('198.51.100.1', STAFF)), 200)

    // Three wrong tokens, on a route, a step and the access question alike.
    const guesser = '198.51.100.2'
    assert.equal(await statusOf(url, '/drinks', from(guesser, WRONG)), 401)
    assert.equal((await accept(url, from(guesser, WRONG))).status, 401)
    assert.deepEqual((await access(url, from(guesser, WRONG))).body, { tokenRequired: true, granted: false })
    for (const attempt of [
      () => call(`${url}/drinks`, { headers: from(guesser, STAFF) }),
      () => access(url, from(guesser, STAFF)),
      () => accept(url, from(guesser, WRONG)),
    ]) {
      const refused = await attempt()
      assert.equal(refused.status, 429)
      assert.match(refused.headers.get('content-type') ?? '', /problem\+json/)
      const wait = Number(refused.headers.get('retry-after'))
      assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`)
    }
    assert.equal(await statusOf(url, '/drinks/board/stream', from(guesser, STAFF)), 429)
    assert.equal(await statusOf(url, '/drinks', from('198.51.100.3', STAFF)), 200, 'another address')
  })

  test('a STAFF_TOKEN shorter than 24 characters stops the start', async () => {
    await assert.rejects(
      startServiceFixture(drinkService, { env: { ...secure, STAFF_TOKEN: 'x'.repeat(23) } }),
      (error: unknown) =>
        error instanceof ConfigError && /STAFF_TOKEN: must be at least 24 characters/.test(error.message),
    )
  })

  test('through the gateway the address is the client’s own, whatever it claims', async (t) => {
    const system = await startInMemorySystem({
      OPEN_API: 'false',
      STAFF_TOKEN: TOKEN,
      STAFF_TOKEN_FAILURES_PER_MINUTE: '2',
    })
    t.after(() => system.stop())
    for (const claimed of ['203.0.113.1', '203.0.113.2']) {
      const answer = await call(`${system.url}/drinks`, { headers: { ...WRONG, 'x-forwarded-for': claimed } })
      assert.equal(answer.status, 401)
    }
    const refused = await call(`${system.url}/drinks`, {
      headers: { ...STAFF, 'x-forwarded-for': '203.0.113.3' },
    })
    assert.equal(refused.status, 429)
    assert.ok(Number(refused.headers.get('retry-after')) >= 1)
    assert.equal(await statusOf(system.url, '/drinks/board/stream', STAFF), 429)
  })
})

describe('open mode', () => {
  test('without STAFF_TOKEN the staff routes are open: the whole phone in the tickets, masked on the board', async (t) => {
    const url = await drinkWithTicket(t, { OPEN_API: 'true' })
    assert.deepEqual((await access(url)).body, { tokenRequired: false, granted: true })
    const tickets = await call(`${url}/drinks`)
    assert.equal(tickets.status, 200)
    assert.equal(tickets.body._embedded.drinks[0].phoneNumber, phoneNumber)
    const board = await openEvents(`${url}/drinks/board/stream`)
    const shown = await board.next()
    board.close()
    assert.equal(shown.data.tickets[0].phoneNumber, '*******5679')
    assert.equal((await accept(url, {})).status, 200)
  })
})
