import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createLogger } from '@cafeteria/platform'
import { openApiSource } from './docs.ts'
import type { Route, Upstream } from './routes.ts'

const routes: Route[] = [
  { prefix: '/orders', upstream: 'order', methods: ['GET'] },
  { prefix: '/points', upstream: 'point', methods: ['GET'] },
]
const upstreams = { order: 'http://order/', point: 'http://point' } as Record<Upstream, string>
const documentOf = (path: string) => ({
  openapi: '3.0.3',
  info: { title: 't', version: '1' },
  paths: { [path]: { get: { responses: {} } } },
})

/** A fake of the services: counts calls, and lets a test take one down or make it hang. */
function services() {
  const state = { calls: [] as string[], down: new Set<string>(), hang: new Set<string>() }
  const fetch = (async (url: string, init: RequestInit) => {
    state.calls.push(url)
    const host = new URL(url).host
    if (state.hang.has(host)) {
      return new Promise((_resolve, reject) =>
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      )
    }
    if (state.down.has(host)) throw new TypeError('fetch failed')
    return Response.json(documentOf(`/${host}s`))
  }) as typeof globalThis.fetch
  return { state, fetch }
}

function source(fake: ReturnType<typeof services>, clock: { now: number }, timeoutMs = 1000) {
  return openApiSource({
    routes,
    upstreams,
    timeoutMs,
    log: createLogger({ level: 'silent' }),
    ttlMs: 30_000,
    retryMs: 5_000,
    now: () => clock.now,
    fetch: fake.fetch,
  })
}

test('asks every routed service once, and serves the merged document from cache until it expires', async () => {
  const fake = services()
  const clock = { now: 0 }
  const docs = source(fake, clock)
  const [first, second] = await Promise.all([docs.get(), docs.get()])
  assert.deepEqual(fake.state.calls, ['http://order/openapi.json', 'http://point/openapi.json'])
  assert.equal(first, second)
  assert.deepEqual(Object.keys(first.paths), ['/orders', '/points'])
  clock.now = 29_999
  await docs.get()
  assert.equal(fake.state.calls.length, 2)
  clock.now = 30_000
  await docs.get()
  assert.equal(fake.state.calls.length, 4)
})

test('a service that is down is listed as missing, and asked again sooner', async () => {
  const fake = services()
  fake.state.down.add('point')
  const clock = { now: 0 }
  const docs = source(fake, clock)
  const partial = await docs.get()
  assert.deepEqual(Object.keys(partial.paths), ['/orders'])
  assert.match(partial.info.description ?? '', /not available.*: point\./i)
  fake.state.down.clear()
  clock.now = 5_000
  const whole = await docs.get()
  assert.deepEqual(Object.keys(whole.paths), ['/orders', '/points'])
  assert.doesNotMatch(whole.info.description ?? '', /not available/i)
})

test('a service that does not answer is given up on after the timeout', async () => {
  const fake = services()
  fake.state.hang.add('order')
  const started = Date.now()
  const partial = await source(fake, { now: 0 }, 50).get()
  assert.ok(Date.now() - started < 1000)
  assert.deepEqual(Object.keys(partial.paths), ['/points'])
  assert.match(partial.info.description ?? '', /: order\./)
})
