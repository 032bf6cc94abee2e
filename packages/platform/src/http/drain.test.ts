import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { Client } from 'undici'
import { waitFor } from '../testing/index.ts'
import { createHttpApp } from './app.ts'
import { drainHttp } from './drain.ts'

const log = pino({ level: 'silent' })

/** An app with a request the test holds in flight until it lets go; `arrived` once it is in. */
async function appWithSlowRoute() {
  let release = () => {}
  const held = new Promise<void>((resolve) => {
    release = resolve
  })
  let arrive = () => {}
  const arrived = new Promise<void>((resolve) => {
    arrive = resolve
  })
  const app = await createHttpApp({ name: 'drain', logger: log })
  app.get('/slow', async () => {
    arrive()
    await held
    return { done: true }
  })
  app.get('/fast', async () => ({ ok: true }))
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  return { app, url, release, arrived }
}

/** Long enough for the checks made within it however busy the machine. */
const DELAY_MS = 2000

test('drain: not ready at once, still serving with Connection: close for the delay, then no new connections; requests in flight finish', async (t) => {
  const { app, url, release, arrived } = await appWithSlowRoute()
  t.after(() => app.close())
  // A keep-alive connection that already served a request, as a balancer's pool holds.
  const kept = new Client(url)
  t.after(() => kept.close())
  const warm = await kept.request({ method: 'GET', path: '/fast' })
  await warm.body.dump()
  assert.notEqual(warm.headers.connection, 'close')

  const slow = kept.request({ method: 'GET', path: '/slow' })
  await arrived
  const drained = drainHttp(app, { delayMs: DELAY_MS, timeoutMs: 5000 }, log)

  const ready = await fetch(`${url}/health/ready`)
  assert.equal(ready.status, 503)
  assert.deepEqual(((await ready.json()) as { checks: unknown }).checks, {
    shutdown: { ok: false, detail: 'shutting down' },
  })
  assert.equal(ready.headers.get('connection'), 'close')

  // Within the delay: still served, each answer ending its connection.
  const during = await fetch(`${url}/fast`)
  assert.equal(during.status, 200)
  assert.equal(during.headers.get('connection'), 'close')
  await during.body?.cancel()

  // Once the delay is over, the listener closes: new connections are refused.
  const refused = await waitFor(
    () =>
      fetch(`${url}/fast`).then(
        async (response) => void (await response.body?.cancel()),
        (error: Error & { cause?: { code?: string } }) => error,
      ),
    DELAY_MS + 5000,
    { intervalMs: 50, what: 'a refused connection' },
  )
  assert.equal(refused.cause?.code, 'ECONNREFUSED')

  // The request in flight all along is answered, and only then is the drain over.
  let over = false
  void drained.then(() => {
    over = true
  })
  await sleep(100)
  assert.equal(over, false, 'the drain waits for the request in flight')
  release()
  const answer = await slow
  assert.equal(answer.statusCode, 200)
  assert.deepEqual(await answer.body.json(), { done: true })
  assert.equal(answer.headers.connection, 'close')
  await drained
})

test('drain: a request that outlasts SHUTDOWN_TIMEOUT_MS does not hold the shutdown', async (t) => {
  const { app, url, release, arrived } = await appWithSlowRoute()
  t.after(() => {
    release()
    return app.close()
  })
  const client = new Client(url)
  t.after(() => client.destroy())
  const stuck = client.request({ method: 'GET', path: '/slow' }).catch(() => undefined)
  await arrived
  const started = performance.now()
  await drainHttp(app, { delayMs: 0, timeoutMs: 300 }, log)
  const took = performance.now() - started
  assert.ok(took >= 250 && took < 3000, `drain took ${Math.round(took)} ms`)
  release()
  await stuck
})
