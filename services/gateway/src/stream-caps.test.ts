import assert from 'node:assert/strict'
import { describe, type TestContext, test } from 'node:test'
import { createHttpApp, createLiveFeed, createLogger } from '@cafeteria/platform'
import { loopbackClient, type Opened, openFrom, waitFor } from '@cafeteria/platform/testing'
import { sessionOf, startGatewayOver } from './testing.ts'

/** Listeners the upstream's feed serves at most, as a service's does (1000 there): its last resort. */
const SERVICE_CAP = 5

/** customercenter's live My Page as far as the gateway can tell: a real feed with a small cap. */
async function startLiveUpstream(t: TestContext): Promise<string> {
  const log = createLogger({ level: 'silent' })
  const app = await createHttpApp({ name: 'customercenter', logger: log })
  const feed = createLiveFeed({
    event: 'mypage',
    read: async (key) => ({ key }),
    settings: { watchMs: 0, heartbeatMs: 60_000 },
    log,
    maxListeners: SERVICE_CAP,
  })
  app.addHook('preClose', async () => feed.close())
  app.get('/mypages/stream', (request, reply) => feed.serve(request, reply, ''))
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.after(() => app.close())
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
}

describe('live streams per client (LIVE_MAX_PER_ADDRESS, LIVE_MAX_PER_CUSTOMER)', () => {
  test('one address holding its cap gets 429 for one more, and other clients still get in', async (t) => {
    const [greedy, other] = [loopbackClient(1), loopbackClient(2)]
    // Linux answers on all of 127.0.0.0/8: the clients are told apart by their addresses.
    assert.ok(greedy && other, 'two more loopback addresses (127.0.0.2, 127.0.0.3)')
    const gateway = await startGatewayOver(t, await startLiveUpstream(t), { LIVE_MAX_PER_ADDRESS: '3' })
    const stream = `${gateway.url}/mypages/stream`
    const held: Opened[] = []
    t.after(() => {
      for (const s of held) s.close()
    })
    const open = async (from: string) => {
      const opened = await openFrom(from, stream)
      if (opened.status === 200) held.push(opened)
      return opened
    }
    for (let i = 0; i < 3; i++) assert.equal((await open(greedy)).status, 200)
    const refused = await open(greedy)
    assert.equal(refused.status, 429)
    assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/)
    assert.ok(Number(refused.headers.get('retry-after')) >= 1)
    const problem = JSON.parse(await refused.text())
    assert.match(problem.type, /\/too-many-streams$/)
    // The service has room left for the others, which the greedy client would otherwise have taken.
    for (let i = 0; i < SERVICE_CAP - 3; i++) assert.equal((await open(other)).status, 200)
    // A stream that ends gives its place back.
    held.shift()?.close()
    await waitFor(
      async () => {
        const again = await open(greedy)
        if (again.status !== 200) again.close()
        return again.status === 200
      },
      5000,
      { what: 'a place again' },
    )
  })

  test('a signed-in customer holding their cap gets 429; another customer at the same address gets in', async (t) => {
    const gateway = await startGatewayOver(t, await startLiveUpstream(t), { LIVE_MAX_PER_CUSTOMER: '2' })
    const stream = `${gateway.url}/mypages/stream`
    const alice = { authorization: sessionOf('01055550001') }
    const held: Opened[] = []
    t.after(() => {
      for (const s of held) s.close()
    })
    for (let i = 0; i < 2; i++) {
      const opened = await openFrom(undefined, stream, { headers: alice })
      assert.equal(opened.status, 200)
      held.push(opened)
    }
    // A second session of the same phone is the same customer.
    const refused = await openFrom(undefined, stream, {
      headers: { authorization: sessionOf('01055550001') },
    })
    assert.equal(refused.status, 429)
    assert.match(JSON.parse(await refused.text()).detail, /one customer/)
    const bob = await openFrom(undefined, stream, { headers: { authorization: sessionOf('01055550002') } })
    assert.equal(bob.status, 200)
    held.push(bob)
  })
})
