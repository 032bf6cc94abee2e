/**
 * The outbox relay against every storage, where the bus does not simply take everything:
 * - a row the bus refuses (JetStream: over the stream's max_msg_size; the local log behind a
 *   wrapper that refuses one id and with it the whole batch) is set aside after maxAttempts while
 *   the rows behind it flow, and can be put back or dropped;
 * - a broker that is away refuses nothing: no row is set aside, none lost;
 * - a slow broker: a service transaction writing to the outbox does not wait for the publish in
 *   flight (MariaDB's repeatable read made it wait for the relay's gap lock).
 *
 * Servers: PostgreSQL, MariaDB/MySQL and NATS JetStream at the URLs below (TEST_POSTGRES_URL,
 * TEST_MYSQL_URL, TEST_NATS_URL); every case gets its own database and stream or log file.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import type { DomainEvent } from '@cafeteria/contracts'
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream'
import { connect as connectNats } from '@nats-io/transport-node'
import type { Kysely } from 'kysely'
import { connectJetStream } from '../bus/jetstream.ts'
import { openLocalBus } from '../bus/local.ts'
import { type Bus, MessageRefused, type OutgoingMessage } from '../bus/port.ts'
import { openDatabase } from '../db/database.ts'
import { migrate } from '../db/migrate.ts'
import { type PlatformTables, platformMigrations } from '../db/platform-tables.ts'
import { createLogger } from '../logger.ts'
import { type Storage, tempDir, testDatabase, waitFor } from '../testing/index.ts'
import { appendToOutbox, toEnvelope } from './outbox.ts'
import { dropOutboxLetter, listOutboxLetters, requeueOutboxLetter } from './outbox-dead-letters.ts'
import { startRelay } from './relay.ts'

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222'
const MAX_ATTEMPTS = 3
/** The stream's max_msg_size in the JetStream cases, and a payload over it. */
const MAX_MESSAGE = 4096
const OVERSIZED = 'x'.repeat(2 * MAX_MESSAGE)
const WAIT_MS = 15_000

type BusKind = 'jetstream' | 'local'

const log = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' })
const scratch = await tempDir('cafe-relay-')
const created = { streams: [] as string[] }

interface Fixture {
  readonly db: Kysely<PlatformTables>
  /** Event ids the bus delivered to a consumer, in order. */
  readonly seen: string[]
  /** Commits events through the outbox, as a service's transaction does, and kicks the relay. */
  commit(events: readonly DomainEvent[]): Promise<void>
  outboxCount(): Promise<number>
}

interface Setup {
  readonly storage: Storage
  readonly bus: BusKind
  /** Wraps the bus the relay publishes to (the consumer reads the real one). */
  readonly wrap?: (bus: Bus) => Bus
  /** JetStream: limit the stream's message size. */
  readonly maxMessage?: number
}

async function withFixture(setup: Setup, run: (f: Fixture) => Promise<void>): Promise<void> {
  // Declared first, so dropped last: after everything on it has been closed.
  await using throwaway = await testDatabase(setup.storage)
  const { name, url } = throwaway
  const closing: Array<() => Promise<void>> = []
  try {
    const database = await openDatabase<PlatformTables>(url, { poolSize: 4 })
    closing.push(() => database.close())
    await migrate(database, 'platform', platformMigrations)
    const bus = await openBus(setup, name)
    closing.push(() => bus.close())
    const seen: string[] = []
    bus.consume(
      'watcher',
      async (m) => {
        seen.push(m.id)
      },
      { retryDelay: () => 20 },
    )
    const relay = startRelay({
      database,
      bus: setup.wrap ? setup.wrap(bus) : bus,
      log,
      pollMs: 50,
      maxAttempts: MAX_ATTEMPTS,
      retryDelay: () => 20,
    })
    closing.push(() => relay.stop())
    await run({
      db: database.db,
      seen,
      async commit(events) {
        await database.transaction((trx) => appendToOutbox(trx, events))
        relay.kick()
      },
      async outboxCount() {
        const row = await database.db
          .selectFrom('outbox')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
        return Number(row.n)
      },
    })
  } finally {
    for (const close of closing.reverse()) await close()
  }
}

async function openBus(setup: Setup, name: string): Promise<Bus> {
  if (setup.bus === 'local') return openLocalBus({ path: join(scratch.path, `${name}-bus.db`) })
  created.streams.push(name)
  const bus = await connectJetStream({ servers: NATS_URL, stream: name, name })
  if (setup.maxMessage !== undefined) {
    const nc = await connectNats({ servers: NATS_URL })
    try {
      await (await jetstreamManager(nc)).streams.update(name, { max_msg_size: setup.maxMessage })
    } finally {
      await nc.close()
    }
  }
  return bus
}

/** A bus that refuses whole batches holding one of `refused`, naming that message, as a validating broker would. */
function refusing(refused: Set<string>) {
  return (inner: Bus): Bus => ({
    ...inner,
    async publish(messages) {
      const bad = messages.find((m) => refused.has(m.id))
      if (bad) throw new MessageRefused(bad.id, 'larger than this broker takes')
      await inner.publish(messages)
    },
  })
}

/** A bus whose broker is away while `away.now`, failing every publish as a lost connection does. */
function flaky(away: { now: boolean; calls: number }) {
  return (inner: Bus): Bus => ({
    ...inner,
    async publish(messages: readonly OutgoingMessage[]) {
      away.calls++
      if (away.now) throw new Error('CONNECTION_REFUSED: nats is away')
      await inner.publish(messages)
    },
  })
}

/** A broker slow to store: every publish waits until the test lets it through. */
function slow(gate: { inFlight: number; open: Promise<void> }) {
  return (inner: Bus): Bus => ({
    ...inner,
    async publish(messages) {
      gate.inFlight++
      await gate.open
      await inner.publish(messages)
      gate.inFlight--
    },
  })
}

let orderIds = 0
/** An event; `padding` makes it as large as needed (the relay never reads what it carries). */
const event = (padding = ''): DomainEvent =>
  toEnvelope(
    'test',
    {
      type: 'PaymentApproved',
      orderId: ++orderIds,
      data: { paymentId: orderIds, phoneNumber: `01012345678${padding}`, amt: 500 },
    },
    new Date(),
  )

const letters = (f: Fixture) => listOutboxLetters(f.db)

describe('outbox relay', { concurrency: true }, () => {
  after(cleanUp)
  for (const storage of ['sqlite', 'postgres', 'mysql'] as const) {
    describe(storage, { concurrency: true }, () => {
      test(
        'JetStream: a row over the stream max_msg_size is set aside and the rows behind it flow',
        { timeout: 30_000 },
        () =>
          withFixture({ storage, bus: 'jetstream', maxMessage: MAX_MESSAGE }, async (f) => {
            const big = event(OVERSIZED)
            const behind = [event(), event()]
            await f.commit([big])
            await f.commit(behind)
            await waitFor(() => behind.every((e) => f.seen.includes(e.id)), WAIT_MS, {
              what: 'the rows behind',
            })
            const [letter, ...more] = await waitFor(
              async () => (await letters(f)).length > 0 && letters(f),
              WAIT_MS,
              {
                what: 'the row set aside',
              },
            )
            assert.equal(more.length, 0)
            assert.equal(letter?.eventId, big.id)
            assert.equal(letter?.attempts, MAX_ATTEMPTS)
            assert.match(letter?.error ?? '', /refused: .*maximum/i)
            assert.deepEqual(JSON.parse(letter?.payload ?? '{}'), big)
            await waitFor(async () => (await f.outboxCount()) === 0, WAIT_MS, { what: 'the outbox to drain' })

            // Put back, the bus still refuses it: set aside again. Dropped, it is gone for good.
            assert.equal(await requeueOutboxLetter(f.db, letter?.id ?? 0), 1)
            const [again] = await waitFor(async () => (await letters(f)).length > 0 && letters(f), WAIT_MS, {
              what: 'the row set aside again',
            })
            assert.equal(again?.eventId, big.id)
            assert.equal(await dropOutboxLetter(f.db, again?.id ?? 0), true)
            assert.deepEqual(await letters(f), [])
            const later = event()
            await f.commit([later])
            await waitFor(() => f.seen.includes(later.id), WAIT_MS, { what: 'a later row' })
            // Delivered can come before the relay's delete commits: wait for that too.
            await waitFor(async () => (await f.outboxCount()) === 0, WAIT_MS, { what: 'the outbox to drain' })
            assert.ok(!f.seen.includes(big.id), 'never published')
            assert.deepEqual(
              f.seen.filter((id) => id !== later.id).sort(),
              behind.map((e) => e.id).sort(),
              'each once',
            )
          }),
      )

      test('a bus refusing one row with its whole batch: the row is set aside, the rest flows, a replay publishes it', {
        timeout: 30_000,
      }, async () => {
        const refused = new Set<string>()
        await withFixture({ storage, bus: 'local', wrap: refusing(refused) }, async (f) => {
          const bad = event()
          refused.add(bad.id)
          const behind = [event(), event()]
          await f.commit([bad, ...behind])
          await waitFor(() => behind.every((e) => f.seen.includes(e.id)), WAIT_MS, {
            what: 'the rows behind',
          })
          const [letter] = await waitFor(async () => (await letters(f)).length > 0 && letters(f), WAIT_MS, {
            what: 'the row set aside',
          })
          assert.equal(letter?.eventId, bad.id)
          assert.equal(letter?.attempts, MAX_ATTEMPTS)
          assert.equal(letter?.error, 'refused: larger than this broker takes')
          await waitFor(async () => (await f.outboxCount()) === 0, WAIT_MS, { what: 'the outbox to drain' })

          // The broker takes it now: put back, it is published once, after the others.
          refused.clear()
          assert.equal(await requeueOutboxLetter(f.db, 'all'), 1)
          await waitFor(() => f.seen.includes(bad.id), WAIT_MS, { what: 'the replayed row' })
          assert.deepEqual(f.seen, [...behind.map((e) => e.id), bad.id])
          assert.deepEqual(await letters(f), [])
          await waitFor(async () => (await f.outboxCount()) === 0, WAIT_MS, { what: 'the outbox to drain' })
        })
      })

      test('a broker that is away sets nothing aside: every row waits, in order, and flows once it is back', {
        timeout: 30_000,
      }, async () => {
        const away = { now: true, calls: 0 }
        await withFixture({ storage, bus: 'local', wrap: flaky(away) }, async (f) => {
          const events = [event(), event(), event()]
          await f.commit(events)
          await waitFor(() => away.calls >= 3 * MAX_ATTEMPTS, WAIT_MS, { what: 'many failed publishes' })
          assert.deepEqual(await letters(f), [])
          const attempts = await f.db.selectFrom('outbox').select('attempts').execute()
          assert.deepEqual(
            attempts.map((r) => Number(r.attempts)),
            [0, 0, 0],
            'nothing counted against the rows',
          )
          away.now = false
          await waitFor(() => f.seen.length === events.length, WAIT_MS, { what: 'every row' })
          assert.deepEqual(
            f.seen,
            events.map((e) => e.id),
          )
          await waitFor(async () => (await f.outboxCount()) === 0, WAIT_MS, { what: 'the outbox to drain' })
        })
      })

      test('a service transaction writing to the outbox does not wait for a slow publish', {
        timeout: 30_000,
      }, async () => {
        let release = () => {}
        const open = new Promise<void>((resolve) => {
          release = resolve
        })
        const gate = { inFlight: 0, open }
        await withFixture({ storage, bus: 'local', wrap: slow(gate) }, async (f) => {
          try {
            const first = event()
            await f.commit([first])
            await waitFor(() => gate.inFlight === 1, WAIT_MS, { what: 'the publish in flight' })

            // An order, say, emitting its event while the broker still holds the first one.
            const second = event()
            let committed = false
            const writing = f.commit([second]).then(() => {
              committed = true
            })
            await waitFor(() => committed, 10_000, { what: 'the service transaction to commit' })
            assert.equal(gate.inFlight, 1, 'the publish was still in flight')
            release()
            await writing
            await waitFor(() => f.seen.length === 2, WAIT_MS, { what: 'both events' })
            assert.deepEqual(f.seen, [first.id, second.id])
          } finally {
            release()
          }
        })
      })
    })
  }
})

async function cleanUp(): Promise<void> {
  const deleteStreams = async () => {
    const nc = await connectNats({ servers: NATS_URL })
    try {
      const jsm = await jetstreamManager(nc)
      for (const name of created.streams) {
        await jsm.streams.delete(name).catch((error: unknown) => {
          if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamNotFound)
            throw error
        })
      }
    } finally {
      await nc.close()
    }
  }
  await Promise.all([deleteStreams(), scratch.remove()])
}
