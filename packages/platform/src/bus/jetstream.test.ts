import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { connectJetStream } from './jetstream.ts'
import type { Bus, BusMessage, OutgoingMessage } from './port.ts'

const SERVER = 'nats://127.0.0.1:4222'
const NATS_BIN = '/usr/sbin/nats-server'

// Each test owns a stream so runs (and tests) never see each other's messages.
const streamName = () => `T${randomUUID().slice(0, 8).toUpperCase()}`

const messages = (label: string, count: number): OutgoingMessage[] =>
  Array.from({ length: count }, (_, i) => ({
    id: `${label}-${i}`,
    type: 'order.placed',
    payload: JSON.stringify({ label, i }),
    headers: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` },
  }))

async function deleteStream(stream: string, servers = SERVER) {
  const nc = await connect({ servers })
  try {
    await (await jetstreamManager(nc)).streams.delete(stream)
  } finally {
    await nc.close()
  }
}

async function storedCount(stream: string): Promise<number> {
  const nc = await connect({ servers: SERVER })
  try {
    return (await (await jetstreamManager(nc)).streams.info(stream)).state.messages
  } finally {
    await nc.close()
  }
}

/** Pull requests the server holds for `consumer`, waiting for messages. */
async function waitingPulls(stream: string, consumer: string): Promise<number> {
  const nc = await connect({ servers: SERVER })
  try {
    return (await (await jetstreamManager(nc)).consumers.info(stream, consumer)).num_waiting
  } finally {
    await nc.close()
  }
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

/** Runs `body` with fresh buses on a fresh stream, and always cleans both up. */
async function withStream(
  body: (stream: string, open: (ackWaitMs?: number) => Promise<Bus>) => Promise<void>,
  servers = SERVER,
) {
  const stream = streamName()
  const buses: Bus[] = []
  const open = async (ackWaitMs?: number) => {
    const bus = await connectJetStream({ servers, stream, ackWaitMs, name: `test-${stream}` })
    buses.push(bus)
    return bus
  }
  try {
    await body(stream, open)
  } finally {
    await Promise.all(buses.map((b) => b.close()))
    await deleteStream(stream, servers)
  }
}

test('publish then consume delivers each message once, with its type, payload and headers', () =>
  withStream(async (_stream, open) => {
    const bus = await open()
    const seen: BusMessage[] = []
    const sub = bus.consume('reader', async (m) => {
      seen.push(m)
    })
    const sent = messages('once', 10)
    await bus.publish(sent)
    await waitFor('10 messages', () => seen.length >= 10)
    await sleep(300) // room for a stray redelivery to show up
    await sub.stop()

    assert.equal(seen.length, 10)
    assert.deepEqual(seen.map((m) => m.id).sort(), sent.map((m) => m.id).sort())
    const first = seen.find((m) => m.id === 'once-0')
    assert.equal(first?.type, 'order.placed')
    assert.equal(first?.payload, sent[0]?.payload)
    assert.equal(first?.attempt, 1)
    assert.equal(first?.headers?.traceparent, sent[0]?.headers?.traceparent)
    assert.equal(bus.kind, 'jetstream')
    assert.deepEqual(bus.health().ok, true)
  }))

test('a message id published twice is stored and delivered once', () =>
  withStream(async (stream, open) => {
    const bus = await open()
    const [message] = messages('dup', 1) as [OutgoingMessage]
    await bus.publish([message])
    await bus.publish([message, message])
    assert.equal(await storedCount(stream), 1)

    const seen: string[] = []
    const sub = bus.consume('reader', async (m) => {
      seen.push(m.id)
    })
    await waitFor('the message', () => seen.length >= 1)
    await sleep(300)
    await sub.stop()
    assert.deepEqual(seen, ['dup-0'])
  }))

test('subscriptions sharing a consumer name split the messages, each delivered to exactly one', () =>
  withStream(async (stream, open) => {
    const [a, b] = await Promise.all([open(), open()])
    const byA: string[] = []
    const byB: string[] = []
    // Small concurrency and slow handlers so neither replica can take the whole backlog alone.
    const handler = (into: string[]) => async (m: BusMessage) => {
      into.push(m.id)
      await sleep(10)
    }
    const subA = a?.consume('workers', handler(byA), { concurrency: 2 })
    const subB = b?.consume('workers', handler(byB), { concurrency: 2 })
    // Both pull before the backlog exists, however long a busy machine takes to send the requests.
    const deadline = Date.now() + 10_000
    while ((await waitingPulls(stream, 'workers').catch(() => 0)) < 2) {
      if (Date.now() > deadline) throw new Error('timed out waiting for both replicas to pull')
      await sleep(20)
    }
    await a?.publish(messages('split', 40))
    await waitFor('40 messages', () => byA.length + byB.length >= 40)
    await sleep(300)
    await Promise.all([subA?.stop(), subB?.stop()])

    const all = [...byA, ...byB]
    assert.equal(all.length, 40)
    assert.equal(new Set(all).size, 40, 'no message went to both')
    assert.ok(byA.length > 0 && byB.length > 0, `split ${byA.length}/${byB.length}`)
  }))

test('a rejected message comes back with attempt 2 after the retry delay', () =>
  withStream(async (_stream, open) => {
    const bus = await open()
    const deliveries: { attempt: number; at: number }[] = []
    const sub = bus.consume(
      'flaky',
      async (m) => {
        deliveries.push({ attempt: m.attempt, at: Date.now() })
        if (m.attempt === 1) throw new Error('transient')
      },
      { retryDelay: () => 400 },
    )
    await bus.publish(messages('retry', 1))
    await waitFor('the redelivery', () => deliveries.length >= 2, 10_000)
    await sleep(200)
    await sub.stop()

    assert.deepEqual(
      deliveries.map((d) => d.attempt),
      [1, 2],
    )
    const gap = (deliveries[1]?.at ?? 0) - (deliveries[0]?.at ?? 0)
    // After the retry delay, not the 30 s ack_wait a message nobody settled waits for.
    assert.ok(gap >= 350 && gap < 10_000, `redelivered after ${gap} ms`)
  }))

test('stop() waits for the in-flight handler, whose ack then prevents any redelivery', () =>
  withStream(async (_stream, open) => {
    const bus = await open(1_000)
    let started = false
    let finished = false
    const sub = bus.consume('slow', async () => {
      started = true
      await sleep(500)
      finished = true
    })
    await bus.publish(messages('inflight', 1))
    await waitFor('the handler to start', () => started)
    await sub.stop()
    assert.equal(finished, true, 'stop resolved before the handler finished')

    // Past ack_wait, an unacknowledged message would be back by now.
    const after: BusMessage[] = []
    const again = bus.consume('slow', async (m) => {
      after.push(m)
    })
    await sleep(1_800)
    await again.stop()
    assert.deepEqual(after, [])
  }))

test('a handler running three times ack_wait keeps its message: delivered once, never redelivered meanwhile', () =>
  withStream(async (_stream, open) => {
    const ackWaitMs = 1_000
    // Two replicas share the consumer, so a redelivery could go to either while the first still works.
    const a = await open(ackWaitMs)
    const b = await open(ackWaitMs)
    const deliveries: { replica: string; attempt: number }[] = []
    let finished = 0
    const slow = (replica: string) => async (m: BusMessage) => {
      deliveries.push({ replica, attempt: m.attempt })
      await sleep(3 * ackWaitMs) // deliberately slower than ack_wait
      finished++
    }
    const subA = a.consume('slow-worker', slow('a'))
    const subB = b.consume('slow-worker', slow('b'))
    await a.publish(messages('slow', 1))
    await waitFor('the slow handler to finish', () => finished >= 1, 4 * ackWaitMs + 2_000)
    // Acknowledged and nothing left pending or in hand: no redelivery can still come.
    const lagOf = a.lag?.bind(a)
    assert.ok(lagOf, 'the JetStream bus reports lag')
    const deadline = Date.now() + 5_000
    while ((await lagOf('slow-worker')) !== 0) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the message to be settled')
      await sleep(20)
    }
    await Promise.all([subA.stop(), subB.stop()])
    assert.equal(deliveries.length, 1, `delivered ${JSON.stringify(deliveries)}`)
    assert.equal(deliveries[0]?.attempt, 1, 'deliveryCount stays 1')
  }))

test('a message whose handler never finished is redelivered to a new process after ack_wait', () =>
  withStream(async (_stream, open) => {
    // ack_wait 2 s leaves the dead process's last pull request (1 s) expired before the redelivery.
    const crashed = await open(2_000)
    let taken = 0
    crashed.consume('orders', () => {
      taken++
      return new Promise<void>(() => {}) // the process dies mid-handler
    })
    await crashed.publish(messages('crash', 1))
    await waitFor('the first delivery', () => taken === 1)
    await crashed.close() // gives up on the hung handler after ack_wait

    const survivor = await open(2_000)
    const seen: BusMessage[] = []
    const sub = survivor.consume('orders', async (m) => {
      seen.push(m)
    })
    await waitFor('the redelivery', () => seen.length >= 1, 15_000)
    await sleep(500)
    await sub.stop()
    assert.equal(seen.length, 1, 'redelivered once, not also replayed as new')
    assert.equal(seen[0]?.id, 'crash-0')
    assert.ok((seen[0]?.attempt ?? 0) >= 2, `attempt ${seen[0]?.attempt}`)
  }))

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

async function startNats(port: number, storeDir: string): Promise<ChildProcess> {
  const child = spawn(NATS_BIN, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let log = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log += chunk
  })
  await waitFor('nats-server to be ready', () => log.includes('Server is ready'), 10_000)
  return child
}

async function stopNats(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await exited
}

test('publishing and consuming survive a nats-server restart with nothing lost', async () => {
  const port = await freePort()
  const storeDir = await mkdtemp(join(tmpdir(), 'nats-restart-'))
  const servers = `nats://127.0.0.1:${port}`
  let nats = await startNats(port, storeDir)
  try {
    await withStream(async (stream, open) => {
      const bus = await open()
      const seen = new Set<string>()
      bus.consume('kitchen', async (m) => {
        seen.add(m.id)
      })
      await bus.publish(messages('before', 5))
      await waitFor('messages before the restart', () => seen.size === 5)

      await stopNats(nats)
      await waitFor('the bus to notice', () => !bus.health().ok)
      nats = await startNats(port, storeDir)
      await waitFor('the client to reconnect', () => bus.health().ok, 10_000)

      await bus.publish(messages('after', 5))
      await waitFor('messages after the restart', () => seen.size === 10)

      // The file store kept everything: a new consumer replays both batches.
      const replayed = new Set<string>()
      bus.consume('audit', async (m) => {
        replayed.add(m.id)
      })
      await waitFor('the replay', () => replayed.size === 10)
      assert.deepEqual([...replayed].sort(), [...seen].sort())
      // The store kept the stream itself too: a restart is not taken for a lost stream.
      assert.deepEqual(bus.streamLosses?.(), { stream, count: 0 })
    }, servers)
  } finally {
    await stopNats(nats)
    await rm(storeDir, { recursive: true, force: true })
  }
})

test('lag counts what a consumer has not settled, waiting or in hand, down to 0 once handled', () =>
  withStream(async (_stream, open) => {
    const bus = await open()
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const seen: string[] = []
    const subscription = bus.consume(
      'lagging',
      async (m) => {
        seen.push(m.id)
        await held
      },
      { concurrency: 2 },
    )
    await bus.publish(messages('lag', 5))
    await waitFor('two in hand', () => seen.length === 2)
    assert.equal(await bus.lag?.('lagging'), 5)
    release()
    await waitFor('all handled', () => seen.length === 5)
    const deadline = Date.now() + 5_000
    let lag = await bus.lag?.('lagging')
    while (lag !== 0 && Date.now() < deadline) {
      await sleep(50)
      lag = await bus.lag?.('lagging')
    }
    assert.equal(lag, 0, 'every ack reached the server')
    await subscription.stop()
  }))
