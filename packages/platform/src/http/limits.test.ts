/**
 * The limits of every server, over real sockets: a client trickling its headers or its body is cut
 * off at the deadline, an idle or stalled connection is closed, one connection too many is
 * refused, and a Server-Sent Event stream outlives the request deadline.
 */
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { test } from 'node:test'
import { configReader } from '../config.ts'
import { createLogger } from '../logger.ts'
import { createHttpApp, type HttpApp } from './app.ts'
import { serverLimits } from './limits.ts'
import { createLiveFeed } from './live.ts'

const silent = createLogger({ level: 'silent' })

async function serve(env: Record<string, string>, routes: (app: HttpApp) => void = () => {}) {
  const read = configReader(env)
  const limits = serverLimits(read)
  read.done()
  const app = await createHttpApp({ name: 'limits', logger: silent, limits })
  app.get('/hello', async () => ({ hello: 'world' }))
  app.post('/echo', async (request) => request.body)
  routes(app)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  return { app, port }
}

interface Client {
  readonly socket: Socket
  /** Everything the server sent so far. */
  received(): string
  /** Resolves with the milliseconds from connecting until the server closed the connection. */
  readonly closed: Promise<number>
}

async function open(port: number): Promise<Client> {
  const socket = connect({ host: '127.0.0.1', port })
  let text = ''
  socket.on('data', (chunk) => {
    text += chunk
  })
  socket.on('error', () => {})
  await new Promise((resolve) => socket.once('connect', resolve))
  const start = performance.now()
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => resolve(performance.now() - start)),
  )
  return { socket, received: () => text, closed }
}

/** Writes `text` a byte every `everyMs` until done or the connection is closed. */
function trickle(socket: Socket, text: string, everyMs = 50): void {
  let i = 0
  const timer = setInterval(() => {
    if (socket.destroyed || i >= text.length) clearInterval(timer)
    else socket.write(text[i++] as string)
  }, everyMs)
  socket.once('close', () => clearInterval(timer))
}

/** Resolves once `check` holds, looked at whenever the client receives something. */
const until = (client: Client, check: () => boolean) =>
  new Promise<void>((resolve, reject) => {
    const look = () => {
      if (!check()) return
      client.socket.off('data', look)
      resolve()
    }
    client.socket.on('data', look)
    client.closed.then(() => reject(new Error(`closed before the condition held; got ${client.received()}`)))
    look()
  })

/** Far longer than any deadline below, so only a missing limit reaches it. */
const LATE_MS = 10_000

test('headers sent a byte at a time are cut off at REQUEST_TIMEOUT_MS with a 408', async (t) => {
  const { app, port } = await serve({ REQUEST_TIMEOUT_MS: '500' })
  t.after(() => app.close())
  const client = await open(port)
  trickle(client.socket, `GET /hello HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(500)}\r\n\r\n`)
  const ms = await client.closed
  assert.ok(ms >= 450, `closed after ${ms} ms, before the deadline`)
  assert.ok(ms < LATE_MS, `closed only after ${ms} ms`)
  assert.match(client.received(), /^HTTP\/1\.1 408 /)
})

test('the headers have HEADERS_TIMEOUT_MS; a body trickling in after them is cut at REQUEST_TIMEOUT_MS', async (t) => {
  // Seconds apart, so which deadline cut which connection shows however busy the machine.
  const { app, port } = await serve({ HEADERS_TIMEOUT_MS: '300', REQUEST_TIMEOUT_MS: '3000' })
  t.after(() => app.close())
  const headers = await open(port)
  trickle(headers.socket, `GET /hello HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(500)}\r\n\r\n`)
  const body = await open(port)
  body.socket.write(
    'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 600\r\n\r\n',
  )
  trickle(body.socket, `{"a":"${'a'.repeat(590)}"}`)

  const [headersMs, bodyMs] = await Promise.all([headers.closed, body.closed])
  assert.ok(headersMs >= 250 && headersMs < 3000, `slow headers closed after ${headersMs} ms`)
  assert.ok(bodyMs >= 2950 && bodyMs < LATE_MS, `slow body closed after ${bodyMs} ms`)
})

test('an idle kept-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS', async (t) => {
  const { app, port } = await serve({ KEEP_ALIVE_TIMEOUT_MS: '300' })
  t.after(() => app.close())
  const client = await open(port)
  client.socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n')
  await until(client, () => client.received().endsWith('{"hello":"world"}'))
  const answeredAt = performance.now()
  await client.closed
  const idleMs = performance.now() - answeredAt
  assert.ok(idleMs >= 250 && idleMs < LATE_MS, `closed ${idleMs} ms after the answer`)
})

test('a request on which nothing moves is closed after IDLE_TIMEOUT_MS, a stream too', async (t) => {
  const feed = createLiveFeed({
    event: 'view',
    read: async () => ({ n: 1 }),
    // No heartbeat within the idle timeout.
    settings: { watchMs: 0, heartbeatMs: 60_000 },
    log: silent,
  })
  const { app, port } = await serve({ IDLE_TIMEOUT_MS: '300' }, (app) => {
    app.get('/hang', () => new Promise(() => {}))
    app.get('/stream', (request, reply) => feed.serve(request, reply, ''))
  })
  t.after(async () => {
    feed.close()
    await app.close()
  })
  const hanging = await open(port)
  hanging.socket.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n')
  const stream = await open(port)
  stream.socket.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n')
  await until(stream, () => stream.received().includes('event: view'))
  const [hangingMs, streamMs] = await Promise.all([hanging.closed, stream.closed])
  assert.ok(hangingMs >= 250 && hangingMs < LATE_MS, `hanging request closed after ${hangingMs} ms`)
  assert.ok(streamMs >= 250 && streamMs < LATE_MS, `silent stream closed after ${streamMs} ms`)
})

test('a Server-Sent Event stream lives on past REQUEST_TIMEOUT_MS while its heartbeats flow', async (t) => {
  const feed = createLiveFeed({
    event: 'view',
    read: async () => ({ n: 1 }),
    settings: { watchMs: 0, heartbeatMs: 50 },
    log: silent,
  })
  const { app, port } = await serve({ REQUEST_TIMEOUT_MS: '200', IDLE_TIMEOUT_MS: '1000' }, (app) => {
    app.get('/stream', (request, reply) => feed.serve(request, reply, ''))
  })
  t.after(async () => {
    feed.close()
    await app.close()
  })
  const client = await open(port)
  const start = performance.now()
  client.socket.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n')
  const beats = () => client.received().split(':\n\n').length - 1
  let seenLate = 0
  // A heartbeat arriving five request deadlines after the request came in, and one more after it.
  await until(client, () => {
    if (seenLate === 0 && performance.now() - start > 1000) seenLate = beats()
    return seenLate > 0 && beats() > seenLate
  })
  assert.match(client.received(), /^HTTP\/1\.1 200 /)
  assert.equal(client.socket.destroyed, false)
  client.socket.destroy()
})

test('past MAX_CONNECTIONS a new connection is closed at once; the open ones are served', async (t) => {
  const { app, port } = await serve({ MAX_CONNECTIONS: '2' })
  t.after(() => app.close())
  const first = await open(port)
  const second = await open(port)
  const third = await open(port)
  await third.closed
  assert.equal(third.received(), '', 'refused without an answer')
  first.socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n')
  await until(first, () => first.received().endsWith('{"hello":"world"}'))
  second.socket.destroy()
  // A slot is free again once the server has seen that close.
  let fourth: Client
  do {
    fourth = await open(port)
    fourth.socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n')
  } while (
    !(await Promise.race([
      until(fourth, () => fourth.received().endsWith('}')).then(() => true),
      fourth.closed.then(() => false),
    ]))
  )
  assert.match(fourth.received(), /^HTTP\/1\.1 200 /)
  first.socket.destroy()
  fourth.socket.destroy()
})
