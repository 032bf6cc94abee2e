import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { connectJetStream } from '../bus/jetstream.ts'
import { openLocalBus } from '../bus/local.ts'
import { toEnvelope } from '../events/outbox.ts'
import { TransientError } from '../events/transient.ts'
import { createLogger } from '../logger.ts'
import { type ServiceDefinition, startService } from '../service.ts'
import { tempDir, waitFor } from '../testing/index.ts'

const SERVER = 'nats://127.0.0.1:4222'

const consumerOfOrders: ServiceDefinition<object> = {
  name: 'probe',
  migrations: [],
  handlers: () => ({ Ordered: async () => {} }),
}

/** The value of the first sample line starting so (every sample has labels: `service` at least). */
const sample = (text: string, start: string) => {
  const line = text.split('\n').find((l) => l.startsWith(start))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}

test('on JetStream a consumer shows its lag, and an invalid event as a dead letter', async () => {
  const stream = `T${randomUUID().slice(0, 8).toUpperCase()}`
  const bus = await connectJetStream({ servers: SERVER, stream })
  const service = await startService(consumerOfOrders, {
    env: { HOST: '127.0.0.1', AUTH_SECRET: 'a-test-secret-of-at-least-32-chars', PROBE_PORT: '0' },
    bus,
    logger: createLogger({ level: 'silent' }),
    defaults: { port: 0, databaseUrl: 'sqlite::memory:' },
  })
  try {
    const scrape = async () => (await fetch(`${service.url}/metrics`)).text()
    await bus.publish([{ id: randomUUID(), type: 'Ordered', payload: '{"not":"an event"}' }])
    const text = await waitFor(async () => {
      const scraped = await scrape()
      return sample(scraped, 'cafe_dead_letters{') === 1 && scraped
    })
    assert.equal(sample(text, 'cafe_events_consumed_total{type="Ordered",outcome="dead-lettered"'), 1)
    // Settled, so nothing left for this consumer on the stream.
    await waitFor(async () => sample(await scrape(), 'cafe_consumer_lag{') === 0)
  } finally {
    await service.stop()
    await bus.close()
    const nc = await connect({ servers: SERVER })
    await (await jetstreamManager(nc)).streams.delete(stream)
    await nc.close()
  }
})

test('a transient failure is counted as such, retried and never dead-lettered', async () => {
  await using dir = await tempDir('cafe-transient-metrics-')
  const bus = openLocalBus({ path: `${dir.path}/bus.db` })
  let failures = 3
  const service = await startService(
    {
      name: 'probe',
      migrations: [],
      handlers: () => ({
        Ordered: async () => {
          if (failures-- > 0) throw new TransientError('the ticket printer is away')
        },
      }),
    } satisfies ServiceDefinition<object>,
    {
      // One attempt before a dead letter: the three failures would make one, were they poison.
      env: { HOST: '127.0.0.1', OPEN_API: 'true', PROBE_PORT: '0', CONSUMER_MAX_ATTEMPTS: '1' },
      bus,
      logger: createLogger({ level: 'silent' }),
      defaults: { port: 0, databaseUrl: 'sqlite::memory:' },
    },
  )
  try {
    const event = toEnvelope(
      'order',
      {
        type: 'Ordered',
        orderId: 7,
        data: { phoneNumber: '01012345678', productName: 'coffee', qty: 1, amt: 500, paymentId: 7 },
      },
      new Date(),
    )
    await bus.publish([{ id: event.id, type: event.type, payload: JSON.stringify(event) }])
    const consumed = (text: string, outcome: string) =>
      sample(text, `cafe_events_consumed_total{type="Ordered",outcome="${outcome}"`)
    const text = await waitFor(
      async () => {
        const scraped = await (await fetch(`${service.url}/metrics`)).text()
        return consumed(scraped, 'handled') === 1 && scraped
      },
      10_000,
      { what: 'the event handled' },
    )
    assert.equal(consumed(text, 'transient'), 3)
    assert.equal(consumed(text, 'failed'), undefined)
    assert.equal(sample(text, 'cafe_dead_letters{'), 0)
  } finally {
    await service.stop()
    await bus.close()
  }
})
