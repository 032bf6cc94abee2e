import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { toEnvelope } from '../events/outbox.ts'
import { createLogger } from '../logger.ts'
import { type ServiceDefinition, startService } from '../service.ts'
import { waitFor } from '../testing/index.ts'
import { connectJetStream } from './jetstream.ts'
import type { Bus } from './port.ts'

/**
 * The broker's stream deleted under running buses (as an operator's mistake, or a lone server that
 * lost its store, would): the loss is never silent. Each bus that notices logs it at error level
 * with the stream's name, counts it, and the service shows it in its readiness details and
 * metrics; the stream is created again so new events flow.
 */
const SERVER = 'nats://127.0.0.1:4222'
const streamName = () => `T${randomUUID().slice(0, 8).toUpperCase()}`

async function deleteStream(stream: string) {
  const nc = await connect({ servers: SERVER })
  try {
    await (await jetstreamManager(nc)).streams.delete(stream)
  } finally {
    await nc.close()
  }
}

/** Log lines as parsed objects, for asserting what an operator would read. */
function logLines() {
  const lines: Array<Record<string, unknown>> = []
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line))
      done()
    },
  })
  return { lines, logger: createLogger({ level: 'info', destination }) }
}

const ordered = (orderId: number) => {
  const data = { phoneNumber: '01012345678', productName: 'coffee', qty: 1, amt: 500, paymentId: orderId }
  const event = toEnvelope('order', { type: 'Ordered', orderId, data }, new Date())
  return { id: event.id, type: event.type, payload: JSON.stringify(event) }
}

test('a consuming service whose stream is deleted reports the loss: error log, metric, readiness; new events still flow', async () => {
  const stream = streamName()
  const { lines, logger } = logLines()
  const bus = await connectJetStream({
    servers: SERVER,
    stream,
    ackWaitMs: 3000,
    logger: logger.child({ component: 'bus' }),
  })
  const seen = new Set<string>()
  const service = await startService(
    {
      name: 'probe',
      migrations: [],
      handlers: () => ({
        Ordered: async (_trx, event) => {
          seen.add(event.id)
        },
      }),
    } satisfies ServiceDefinition<object>,
    {
      env: { HOST: '127.0.0.1', OPEN_API: 'true', PROBE_PORT: '0' },
      bus,
      logger: createLogger({ level: 'silent' }),
      defaults: { port: 0, databaseUrl: 'sqlite::memory:' },
    },
  )
  try {
    const ready = async () =>
      (await (await fetch(`${service.url}/health/ready`)).json()) as {
        status: string
        details: { bus: { streamLost: { stream: string; count: number; lastNoticedAt?: string } } }
      }
    assert.deepEqual((await ready()).details.bus.streamLost, { stream, count: 0 })

    const before = ordered(1)
    await bus.publish([before])
    await waitFor(() => seen.has(before.id), 10_000, { what: 'the event before the loss' })

    await deleteStream(stream)
    const report = await waitFor(
      async () => {
        const lost = (await ready()).details.bus.streamLost
        return lost.count > 0 && lost
      },
      20_000,
      { what: 'the loss in the readiness details', intervalMs: 50 },
    )
    assert.equal(report.count, 1, 'one loss, noticed once')
    assert.equal(report.stream, stream)
    assert.ok(!Number.isNaN(Date.parse(report.lastNoticedAt ?? '')), 'when it was noticed')
    const metrics = await (await fetch(`${service.url}/metrics`)).text()
    assert.match(metrics, /^cafe_bus_stream_lost_total\{service="probe"\} 1$/m)
    const alerts = lines.filter(
      (l) =>
        l.level === 'error' && l.stream === stream && String(l.msg).includes(`stream ${stream} was lost`),
    )
    assert.equal(alerts.length, 1, JSON.stringify(lines))
    // Ready still: the stream was created again and events published now are handled.
    assert.equal((await ready()).status, 'UP')
    const after = ordered(2)
    await bus.publish([after])
    await waitFor(() => seen.has(after.id), 10_000, { what: 'an event after the loss' })
  } finally {
    await service.stop()
    await bus.close()
    await deleteStream(stream).catch(() => {})
  }
})

test('a publisher finds the stream gone, reports it and recreates it; another bus finds it recreated and reports it too', async () => {
  const stream = streamName()
  const buses: Bus[] = []
  const open = async () => {
    const bus = await connectJetStream({ servers: SERVER, stream, ackWaitMs: 3000 })
    buses.push(bus)
    return bus
  }
  try {
    const publisher = await open()
    // Connected (it found the stream) but consuming only once the publisher recreated it, so
    // nothing but the publisher can notice first.
    const consumer = await open()
    await publisher.publish([{ id: 'before', type: 'Ordered', payload: '{}' }])

    await deleteStream(stream)
    // The relay's first try after the loss fails (nothing stored it); the bus has meanwhile
    // reported the loss and recreated the stream, so the retry is stored.
    await assert.rejects(publisher.publish([{ id: 'after', type: 'Ordered', payload: '{}' }]))
    assert.equal(publisher.streamLosses?.().count, 1)
    await publisher.publish([{ id: 'after', type: 'Ordered', payload: '{}' }])

    const seen: string[] = []
    consumer.consume('kitchen', async (m) => {
      seen.push(m.id)
    })
    await waitFor(() => seen.includes('after'), 10_000, { what: 'the message after the loss' })
    assert.deepEqual(seen, ['after'], 'what the old stream held is gone')
    assert.equal(
      consumer.streamLosses?.().count,
      1,
      'the other bus noticed the stream is not the one it knew',
    )
    assert.equal(publisher.streamLosses?.().count, 1, 'the publisher counted its loss once')
  } finally {
    await Promise.all(buses.map((b) => b.close()))
    await deleteStream(stream).catch(() => {})
  }
})
