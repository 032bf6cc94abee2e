/**
 * Delivery, apart from event handling: through a real local webhook that is down, fails and
 * hangs before it answers, and through the log (the default).
 */
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createTcpServer } from 'node:net'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { test } from 'node:test'
import { createLogger } from '@cafeteria/platform'
import { tempDir, waitFor } from '@cafeteria/platform/testing'
import { eventsOf, PHONE, startCustomercenter } from './testing.ts'

interface Received {
  readonly headers: IncomingMessage['headers']
  readonly body: any
}

/** A webhook on `port`; `answer` decides each response from the requests seen so far (1-based). */
async function webhook(port: number, answer: (n: number, res: ServerResponse) => void) {
  const received: Received[] = []
  const server = createServer((req, res) => {
    let text = ''
    req.on('data', (chunk) => {
      text += chunk
    })
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(text) })
      answer(received.length, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A port nobody listens on (yet): connections are refused. */
async function closedPort(): Promise<number> {
  const server = createTcpServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A database file of the test's own, so that the test can read what the service stored. */
async function databaseFile(t: { after(fn: () => Promise<void>): void }) {
  const dir = await tempDir()
  t.after(() => dir.remove())
  return join(dir.path, 'customercenter.db')
}

/** Why each notification's last delivery failed, as operators find it in the database. */
function storedErrors(file: string): Record<number, string | null> {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    const rows = db.prepare('select id, last_error from notification').all() as Array<{
      id: number
      last_error: string | null
    }>
    return Object.fromEntries(rows.map((row) => [row.id, row.last_error]))
  } finally {
    db.close()
  }
}

const fastRetries = (port: number, extra: Record<string, string> = {}) => ({
  NOTIFIER: 'webhook',
  NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${port}/alimtalk`,
  NOTIFY_RETRY_BASE_MS: '40',
  NOTIFY_RETRY_MAX_MS: '200',
  NOTIFY_POLL_MS: '20',
  ...extra,
})

const notificationsOf = async (cc: Awaited<ReturnType<typeof startCustomercenter>>) =>
  (await cc.get(`/notifications/search/findByPhoneNumber?phoneNumber=${PHONE}`)).body._embedded.notifications

test('a webhook refusing connections, then failing, then answering: the notifications end sent and events were never held up', async (t) => {
  const port = await closedPort()
  const file = await databaseFile(t)
  const cc = await startCustomercenter({
    env: fastRetries(port, { NOTIFY_WEBHOOK_TOKEN: 's3cret', CUSTOMERCENTER_DATABASE_URL: `sqlite:${file}` }),
  })
  t.after(() => cc.stop())
  const event = eventsOf(1)

  await cc.publish([event('Ordered')])
  const refused = await waitFor(async () => {
    const [n] = await notificationsOf(cc)
    return n?.attempts >= 2 && n
  })
  assert.equal(refused.status, 'pending')
  assert.match(storedErrors(file)[refused.id] ?? '', /webhook unreachable: ECONNREFUSED/)

  // The webhook is still down, yet the next event is handled at once.
  await cc.publish([event('Receipted')])
  await waitFor(
    async () => (await cc.get('/mypages/search/findByOrderId?orderId=1')).body[0]?.status === 'Receipted',
  )
  assert.deepEqual(
    (await notificationsOf(cc)).map((n: { kind: string; status: string }) => [n.kind, n.status]),
    [
      ['Ordered', 'pending'],
      ['Receipted', 'pending'],
    ],
  )

  const relay = await webhook(port, (n, res) => {
    if (n <= 2) res.writeHead(500).end('relay overloaded')
    else res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}')
  })
  t.after(() => relay.close())
  const sent = await waitFor(async () => {
    const all = await notificationsOf(cc)
    return all.every((n: { status: string }) => n.status === 'sent') && all
  })

  for (const n of sent) {
    assert.equal(storedErrors(file)[n.id], null)
    assert.ok(Date.parse(n.sentTime) >= Date.parse(n.createTime))
  }
  assert.ok(sent[0].attempts >= 3, `Ordered took ${sent[0].attempts} attempts`)
  const delivered = relay.received.slice(2)
  assert.deepEqual(
    delivered.map((r) => r.body).sort((a, b) => a.notificationId - b.notificationId),
    [
      {
        notificationId: sent[0].id,
        orderId: 1,
        phoneNumber: PHONE,
        kind: 'Ordered',
        message: 'Your Order is Ordered',
      },
      {
        notificationId: sent[1].id,
        orderId: 1,
        phoneNumber: PHONE,
        kind: 'Receipted',
        message: 'Your Order is Receipted',
      },
    ],
  )
  for (const r of relay.received) {
    assert.equal(r.headers.authorization, 'Bearer s3cret')
    assert.equal(r.headers['idempotency-key'], String(r.body.notificationId))
  }
})

test('a webhook that keeps failing: after NOTIFY_MAX_ATTEMPTS the notification is kept as failed, with the last error', async (t) => {
  const port = await closedPort()
  const relay = await webhook(port, (_n, res) => res.writeHead(503).end('maintenance'))
  t.after(() => relay.close())
  const file = await databaseFile(t)
  const cc = await startCustomercenter({
    env: fastRetries(port, { NOTIFY_MAX_ATTEMPTS: '3', CUSTOMERCENTER_DATABASE_URL: `sqlite:${file}` }),
  })
  t.after(() => cc.stop())

  await cc.publish([eventsOf(2)('Ordered')])
  const [failed] = await waitFor(async () => {
    const all = await notificationsOf(cc)
    return all[0]?.status === 'failed' && all
  })
  assert.equal(failed.attempts, 3)
  assert.equal(storedErrors(file)[failed.id], 'webhook answered 503: maintenance')
  assert.equal(failed.sentTime, null)
  await new Promise((resolve) => setTimeout(resolve, 200))
  assert.equal(relay.received.length, 3, 'no attempt after giving up')
  assert.equal((await cc.get(`/notifications/${failed.id}`)).body.status, 'failed')
})

test('a webhook that does not answer in time counts as not delivered and is tried again', async (t) => {
  const port = await closedPort()
  const relay = await webhook(port, (n, res) => {
    if (n > 1) res.writeHead(200).end()
    // The first request is left hanging past the timeout.
  })
  t.after(() => relay.close())
  const cc = await startCustomercenter({ env: fastRetries(port, { NOTIFY_WEBHOOK_TIMEOUT_MS: '100' }) })
  t.after(() => cc.stop())

  await cc.publish([eventsOf(3)('Ordered')])
  const [sent] = await waitFor(async () => {
    const all = await notificationsOf(cc)
    return all[0]?.status === 'sent' && all
  })
  assert.equal(sent.attempts, 2)
  assert.equal(relay.received.length, 2)
})

test('by default notifications go to the log, as the original KakaoTalk stub did, the phone number masked', async (t) => {
  const raw: string[] = []
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => raw.push(line) } })
  const cc = await startCustomercenter({ logger })
  t.after(() => cc.stop())
  const event = eventsOf(4)

  await cc.publish([event('Ordered'), event('Made')])
  const sent = await waitFor(async () => {
    const all = await notificationsOf(cc)
    return all.length === 2 && all.every((n: { status: string }) => n.status === 'sent') && all
  })
  assert.deepEqual(
    sent.map((n: { kind: string; attempts: number }) => [n.kind, n.attempts]),
    [
      ['Ordered', 1],
      ['Made', 1],
    ],
  )
  const lines: Array<{ msg: string; kind?: string; orderId?: number }> = raw.map((line) => JSON.parse(line))
  const messages = lines.filter((l) => l.msg.startsWith('To. ')).map((l) => [l.kind, l.orderId, l.msg])
  assert.deepEqual(messages, [
    ['Ordered', 4, 'To. 010****5679\nYour Order is Ordered'],
    ['Made', 4, 'To. 010****5679\nYour Order is Made\nCome and Take it, Please!'],
  ])
  for (const line of raw) assert.ok(!line.includes(PHONE), line)
})

test('why a delivery failed is kept for operators, in the log and the database, and never answered by a public route', async (t) => {
  const port = await closedPort()
  // What a relay may say about itself: nothing a customer should read.
  const secret = 'relay-7.internal.example: upstream pool exhausted'
  const relay = await webhook(port, (_n, res) => res.writeHead(502).end(secret))
  t.after(() => relay.close())
  const file = await databaseFile(t)
  const raw: string[] = []
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => raw.push(line) } })
  const cc = await startCustomercenter({
    env: fastRetries(port, { NOTIFY_MAX_ATTEMPTS: '2', CUSTOMERCENTER_DATABASE_URL: `sqlite:${file}` }),
    logger,
  })
  t.after(() => cc.stop())

  await cc.publish([eventsOf(5)('Ordered')])
  const [failed] = await waitFor(async () => {
    const all = await notificationsOf(cc)
    return all[0]?.status === 'failed' && all
  })
  assert.equal(storedErrors(file)[failed.id], `webhook answered 502: ${secret}`)
  const logged = raw.map((line) => JSON.parse(line)).filter((l) => l.msg === 'notification failed')
  assert.deepEqual(
    logged.map((l) => [l.notificationId, l.error]),
    [[failed.id, `webhook answered 502: ${secret}`]],
  )

  for (const path of [
    `/notifications/search/findByPhoneNumber?phoneNumber=${PHONE}`,
    `/notifications/${failed.id}`,
  ]) {
    const answer = await cc.get(path)
    assert.equal(answer.status, 200, path)
    const text = JSON.stringify(answer.body)
    assert.ok(
      !text.includes('lastError') && !text.includes('relay-7') && !text.includes('exhausted'),
      `${path}: ${text}`,
    )
  }
  // The API's description does not promise it either.
  const openapi = JSON.stringify((await cc.get('/openapi.json')).body)
  assert.ok(!openapi.includes('lastError'))
})
