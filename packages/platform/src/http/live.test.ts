import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createLogger } from '../logger.ts'
import { openEvents } from '../testing/index.ts'
import { createHttpApp, type HttpApp } from './app.ts'
import { createLiveFeed, type LiveFeed } from './live.ts'

describe('live views over Server-Sent Events', () => {
  const views = new Map<string, { count: number }>()
  let reads = 0
  let app: HttpApp
  let feed: LiveFeed
  let url: string

  before(async () => {
    const log = createLogger({ level: 'silent' })
    app = await createHttpApp({ name: 'live', logger: log })
    feed = createLiveFeed({
      event: 'counter',
      read: async (key) => {
        reads++
        return views.get(key) ?? { count: 0 }
      },
      settings: { watchMs: 200, heartbeatMs: 100 },
      log,
    })
    app.addHook('preClose', async () => feed.close())
    app.get('/stream/:key', (request, reply) =>
      feed.serve(request, reply, (request.params as { key: string }).key),
    )
    await app.listen({ host: '127.0.0.1', port: 0 })
    const address = app.server.address()
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  })
  after(() => app.close())

  test('a listener gets the view at once, then each change it is told of, and heartbeats', async () => {
    views.set('a', { count: 1 })
    const events = await openEvents(`${url}/stream/a`)
    assert.equal(events.status, 200)
    assert.match(events.headers.get('content-type') ?? '', /^text\/event-stream/)
    assert.equal(events.headers.get('cache-control'), 'no-cache, no-transform')
    const first = await events.next()
    assert.equal(first.event, 'counter')
    assert.deepEqual(first.data, { count: 1 })
    views.set('a', { count: 2 })
    feed.changed('a')
    assert.deepEqual((await events.next()).data, { count: 2 })
    // An unchanged view is not sent again, however often it is read.
    feed.changed()
    feed.changed('a')
    views.set('a', { count: 3 })
    feed.changed('a')
    assert.deepEqual((await events.next()).data, { count: 3 })
    await waitUntil(() => events.heartbeats() >= 1)
    events.close()
  })

  test('a change nobody announced (another replica) arrives through the watch', async () => {
    views.set('b', { count: 10 })
    const events = await openEvents(`${url}/stream/b`)
    assert.deepEqual((await events.next()).data, { count: 10 })
    views.set('b', { count: 11 })
    assert.deepEqual((await events.next(undefined, 3000)).data, { count: 11 })
    events.close()
  })

  test('a reconnect with the id it last saw gets nothing until the view changes; another id gets it', async () => {
    views.set('c', { count: 5 })
    const first = await openEvents(`${url}/stream/c`)
    const seen = await first.next()
    first.close()
    const again = await openEvents(`${url}/stream/c`, { 'last-event-id': seen.id as string })
    const stale = await openEvents(`${url}/stream/c`, { 'last-event-id': 'something-older' })
    assert.deepEqual((await stale.next()).data, { count: 5 })
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(again.received.length, 0)
    views.set('c', { count: 6 })
    feed.changed('c')
    assert.deepEqual((await again.next()).data, { count: 6 })
    again.close()
    stale.close()
  })

  test('views are kept apart by key, and nothing is read once nobody listens', async () => {
    views.set('d', { count: 40 })
    views.set('e', { count: 50 })
    const d = await openEvents(`${url}/stream/d`)
    const e = await openEvents(`${url}/stream/e`)
    assert.deepEqual((await d.next()).data, { count: 40 })
    assert.deepEqual((await e.next()).data, { count: 50 })
    views.set('d', { count: 41 })
    feed.changed('d')
    assert.deepEqual((await d.next()).data, { count: 41 })
    assert.equal(e.received.length, 0)
    d.close()
    e.close()
    await waitUntil(() => feed.listeners() === 0)
    const before = reads
    await new Promise((r) => setTimeout(r, 500))
    feed.changed()
    assert.equal(reads, before)
  })
})

describe('closing', () => {
  test('closing the app ends open streams instead of waiting for them', async () => {
    const log = createLogger({ level: 'silent' })
    const app = await createHttpApp({ name: 'live', logger: log })
    const feed = createLiveFeed({
      event: 'v',
      read: async () => ({ ok: true }),
      settings: { watchMs: 0, heartbeatMs: 10_000 },
      log,
    })
    app.addHook('preClose', async () => feed.close())
    app.get('/s', (request, reply) => {
      feed.serve(request, reply, '')
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const address = app.server.address()
    const events = await openEvents(`http://127.0.0.1:${typeof address === 'object' && address?.port}/s`)
    await events.next()
    const started = Date.now()
    await app.close()
    await events.ended
    assert.ok(Date.now() - started < 5000)
  })
})

async function waitUntil(condition: () => boolean) {
  const deadline = Date.now() + 5000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}
