import assert from 'node:assert/strict'
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { type Balancer, type BalancerOptions, createBalancer } from './balancer.ts'

const log = pino({ level: 'silent' })

/** A real HTTP server standing for one replica; it counts what reached it. */
async function replica(handle?: (request: IncomingMessage, response: ServerResponse) => void) {
  const state = { ready: true, hits: 0, checks: 0 }
  const server = createServer((request, response) => {
    if (request.url === '/health/ready') {
      state.checks++
      response.writeHead(state.ready ? 200 : 503).end()
      return
    }
    state.hits++
    if (handle) handle(request, response)
    else request.resume().on('end', () => response.writeHead(200).end(url))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    state,
    /** Gone: its port refuses connections from now on. */
    async stop() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
type Replica = Awaited<ReturnType<typeof replica>>

async function using(
  options: Partial<BalancerOptions> & { urls: string[] },
  t: { after(fn: () => unknown): void },
) {
  const balancer = createBalancer({ name: 'svc', log, ...options })
  t.after(() => balancer.close())
  return balancer
}

const send = async (balancer: Balancer, method = 'GET', retryIfReached = false) => {
  const response = await balancer.request(
    { method, path: '/work', body: method === 'GET' ? null : 'x' },
    retryIfReached,
  )
  return { status: response.statusCode, from: await response.body.text() }
}

const until = async (what: string, condition: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

const stopAll = (replicas: Replica[]) => () => Promise.all(replicas.map((r) => r.stop()))

test('round robin over the ready replicas', async (t) => {
  const [a, b] = [await replica(), await replica()] as const
  t.after(stopAll([a, b]))
  const balancer = await using({ urls: [a.url, b.url] }, t)
  for (let i = 0; i < 10; i++) assert.equal((await send(balancer)).status, 200)
  assert.deepEqual([a.state.hits, b.state.hits], [5, 5])
})

test('one replica: every request goes to it and nothing is checked', async (t) => {
  const a = await replica()
  t.after(stopAll([a]))
  const balancer = await using({ urls: [a.url], checkIntervalMs: 20 }, t)
  for (let i = 0; i < 3; i++) assert.equal((await send(balancer)).status, 200)
  await sleep(200)
  assert.equal(a.state.hits, 3)
  assert.equal(a.state.checks, 0)
})

test('a replica that refuses connections is ejected; requests of any method go to the next at once', async (t) => {
  const [a, b] = [await replica(), await replica()] as const
  t.after(stopAll([a]))
  const balancer = await using({ urls: [a.url, b.url], checkIntervalMs: 60_000 }, t)
  await b.stop()
  // Not idempotent, and still safe to send elsewhere: the refused connection carried nothing.
  for (let i = 0; i < 6; i++) assert.deepEqual(await send(balancer, 'POST'), { status: 200, from: a.url })
  assert.equal(a.state.hits, 6)
  const gone = balancer.replicas().find((r) => r.url === b.url)
  assert.equal(gone?.ready, false)
  assert.match(gone?.detail ?? '', /ECONNREFUSED/)
})

test('a request that reached a replica whose connection then broke is repeated only when that is safe', async (t) => {
  // b reads the request, then drops the connection without answering: it may have acted on it.
  const dropping = () => replica((request) => request.resume().on('end', () => request.socket.destroy()))
  const [a, b, c, d] = [await replica(), await dropping(), await replica(), await dropping()] as const
  t.after(stopAll([a, b, c, d]))

  const unsafe = await using({ urls: [a.url, b.url], checkIntervalMs: 60_000 }, t)
  const outcomes = await Promise.all(
    [1, 2].map(() =>
      send(unsafe, 'POST').then(
        (r) => r.from,
        (error: { code?: string }) => error.code,
      ),
    ),
  )
  assert.deepEqual(outcomes.sort(), [a.url, 'UND_ERR_SOCKET'].sort())
  assert.deepEqual([a.state.hits, b.state.hits], [1, 1], 'the broken request was not sent again')

  const safe = await using({ urls: [c.url, d.url], checkIntervalMs: 60_000 }, t)
  const answers = await Promise.all([1, 2].map(() => send(safe, 'POST', true)))
  assert.deepEqual(
    answers.map((r) => r.from),
    [c.url, c.url],
  )
  assert.deepEqual([c.state.hits, d.state.hits], [2, 1], 'sent again to the other replica')
})

test('a replica whose readiness fails gets no traffic, and gets it again once its check passes', async (t) => {
  const [a, b] = [await replica(), await replica()] as const
  t.after(stopAll([a, b]))
  const balancer = await using({ urls: [a.url, b.url], checkIntervalMs: 25 }, t)
  const readyOf = (url: string) => balancer.replicas().find((r) => r.url === url)?.ready
  b.state.ready = false
  await until('b out of rotation', () => readyOf(b.url) === false)
  const before = b.state.hits
  for (let i = 0; i < 10; i++) assert.equal((await send(balancer)).from, a.url)
  assert.equal(b.state.hits, before)

  b.state.ready = true
  await until('b back in rotation', () => readyOf(b.url) === true)
  const froms = new Set<string>()
  for (let i = 0; i < 4; i++) froms.add((await send(balancer)).from)
  assert.deepEqual([...froms].sort(), [a.url, b.url].sort())
})

test('follows the replicas file: a replaced replica stops getting requests', async (t) => {
  const [a, b] = [await replica(), await replica()] as const
  t.after(stopAll([a, b]))
  const dir = await mkdtemp(join(tmpdir(), 'cafe-balancer-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'replicas.json')
  const publish = async (urls: string[]) => {
    await writeFile(`${file}.next`, JSON.stringify({ other: ['http://127.0.0.1:1'], svc: urls }))
    await rename(`${file}.next`, file)
  }
  await publish([a.url])
  const balancer = await using({ urls: ['http://127.0.0.1:1'], replicasFile: file, fileIntervalMs: 20 }, t)
  await until('the file read', () => balancer.replicas()[0]?.url === a.url)
  assert.equal((await send(balancer)).from, a.url)

  await publish([b.url])
  await until('the new list', () => balancer.replicas()[0]?.url === b.url)
  for (let i = 0; i < 3; i++) assert.equal((await send(balancer)).from, b.url)
  assert.equal(a.state.hits, 1)
})
