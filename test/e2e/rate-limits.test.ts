import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { openEvents } from '@cafeteria/platform/testing'
import { type PhoneInbox, signIn, startPhoneInbox } from '../support/customer.ts'
import { call, startInMemorySystem, waitFor } from '../support/system.ts'

// The whole system signed in, with small limits: what a refused request leaves behind is nothing.
const americano = { productName: '아메리카노', qty: 1, amt: 4500 }

let system: Awaited<ReturnType<typeof startInMemorySystem>>
let inbox: PhoneInbox
before(async () => {
  inbox = await startPhoneInbox()
  system = await startInMemorySystem({
    ...inbox.env,
    OPEN_API: 'false',
    RATE_LIMIT_ORDERS_PER_MINUTE: '2',
    LIVE_MAX_PER_CUSTOMER: '2',
  })
})
after(async () => {
  await system.stop()
  await inbox.close()
})

test('a customer past the order limit gets 429 and no order; another customer orders on', async () => {
  const alice = await signIn(system.url, inbox, '01055550201')
  const bob = await signIn(system.url, inbox, '01055550202')
  const place = (headers: Record<string, string>) =>
    call(`${system.url}/orders`, { method: 'POST', json: americano, headers })
  assert.equal((await place(alice.headers)).status, 201)
  assert.equal((await place(alice.headers)).status, 201)
  const refused = await place(alice.headers)
  assert.equal(refused.status, 429)
  assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/)
  assert.ok(Number(refused.headers.get('retry-after')) >= 1)
  assert.equal((await place(bob.headers)).status, 201)
  // Bob ordered after the refusal: once My Page shows his order, it shows all of Alice's.
  await waitFor(async () => {
    const page = await call(`${system.url}/mypages/search/findByPhoneNumber`, { headers: bob.headers })
    return page.body.length === 1
  })
  const page = await call(`${system.url}/mypages/search/findByPhoneNumber`, { headers: alice.headers })
  assert.equal(page.body.length, 2)
})

test('a customer holding their live streams gets 429 for one more; another customer still follows theirs', async () => {
  const alice = await signIn(system.url, inbox, '01055550203')
  const bob = await signIn(system.url, inbox, '01055550204')
  const streams = [
    await openEvents(`${system.url}/mypages/stream`, alice.headers),
    await openEvents(`${system.url}/points/stream`, alice.headers),
  ]
  try {
    for (const stream of streams) assert.equal(stream.status, 200)
    const third = await call(`${system.url}/drinks/queue/stream`, {
      headers: { ...alice.headers, accept: 'text/event-stream' },
    })
    assert.equal(third.status, 429)
    assert.match(third.body.type, /too-many-streams/)
    const bobs = await openEvents(`${system.url}/mypages/stream`, bob.headers)
    streams.push(bobs)
    assert.equal(bobs.status, 200)
    assert.equal((await bobs.next((e) => e.event === 'mypage')).event, 'mypage')
  } finally {
    for (const stream of streams) stream.close()
  }
})
