/**
 * The reliability contract, run against every storage × every bus. Each case would fail if the
 * mechanism it names were broken: outbox (commit ⇔ publish), relay, bus dedupe and redelivery,
 * inbox (a redelivered event changes nothing), retries and dead letters.
 *
 * Servers: PostgreSQL, MariaDB/MySQL and NATS JetStream at the URLs below (override with
 * TEST_POSTGRES_URL, TEST_MYSQL_URL, TEST_NATS_URL); a server that is down fails its cases.
 * Every case gets its own database and its own stream or log file.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import type { DomainEvent } from '@cafeteria/contracts'
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream'
import { connect as connectNats } from '@nats-io/transport-node'
import type { Generated, Kysely } from 'kysely'
import { connectJetStream } from '../bus/jetstream.ts'
import { openLocalBus } from '../bus/local.ts'
import type { Bus, BusMessage, ConsumeOptions, OutgoingMessage } from '../bus/port.ts'
import { type Database, openDatabase } from '../db/database.ts'
import { migrate, type ServiceMigration } from '../db/migrate.ts'
import { type PlatformTables, platformMigrations } from '../db/platform-tables.ts'
import { createLogger } from '../logger.ts'
import { type Storage, sleep, tempDir, testDatabase, waitFor } from '../testing/index.ts'
import { createConsumer, type EventHandlers, type Outcome } from './consumer.ts'
import { appendToOutbox, toEnvelope } from './outbox.ts'
import { type Relay, startRelay } from './relay.ts'

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222'

const CONSUMER = 'effects'
/** How long to keep watching after the expected outcome, to catch a late second delivery. */
const SETTLE_MS = 300
const WAIT_MS = 10_000
const CONSUME: ConsumeOptions = { retryDelay: () => 50 }

type BusKind = 'jetstream' | 'local'

/** One row per handler run that committed: no unique key, so a double effect shows as two rows. */
interface TestTables {
  effect: { id: Generated<number>; event_id: string; n: number }
}
type Tables = TestTables & PlatformTables

const testMigrations: readonly ServiceMigration[] = [
  {
    name: '001_effect',
    async up(db, t) {
      await db.schema
        .createTable('effect')
        .addColumn('id', t.id, (c) => (t.autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('event_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .execute()
    },
  },
]

const log = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' })
const scratch = await tempDir('cafe-reliability-')
const created = { streams: [] as string[] }
// ---------------------------------------------------------------------------------------------
// The fixture: one database, one outbox relay and one bus (stream or log file) per case.

interface Fixture {
  readonly database: Database<Tables>
  readonly db: Kysely<Tables>
  readonly busKind: BusKind
  /** The bus the relay publishes to. */
  readonly bus: Bus
  readonly relay: Relay
  /** Another bus instance on the same stream or log file, as a second process would open. */
  openBus(): Promise<Bus>
  /** The process owning `bus` dies: it is never closed cleanly (JetStream: the connection goes away). */
  crash(bus: Bus): Promise<void>
  consumer(
    handlers: EventHandlers<TestTables>,
    maxAttempts?: number,
  ): (message: BusMessage) => Promise<Outcome>
  /** Subscribes `handle` under the test consumer's name and records every delivery and its outcome. */
  watch(handle: (message: BusMessage) => Promise<Outcome>, bus?: Bus): Probe
  /** Commits events through the outbox and kicks the relay, as a service's transaction does. */
  commit(events: readonly DomainEvent[]): Promise<void>
}

interface Delivery {
  readonly id: string
  readonly attempt: number
  outcome?: Outcome | 'failed'
}

class Probe {
  readonly deliveries: Delivery[] = []
  of(id: string): Delivery[] {
    return this.deliveries.filter((d) => d.id === id)
  }
  attempts(id: string): number[] {
    return this.of(id).map((d) => d.attempt)
  }
  outcomes(id: string): Array<Delivery['outcome']> {
    return this.of(id).map((d) => d.outcome)
  }
  settled(id: string, outcome: Outcome): boolean {
    return this.of(id).some((d) => d.outcome === outcome)
  }
  /**
   * Keeps watching for a late second delivery, then waits for every delivery seen to end: a
   * redelivery that came at the last moment may still be in its handler on a busy machine.
   */
  async settle(): Promise<void> {
    await sleep(SETTLE_MS)
    await waitFor(() => this.deliveries.every((d) => d.outcome), WAIT_MS, { what: 'every delivery to end' })
  }
}

async function withFixture(
  storage: Storage,
  busKind: BusKind,
  options: { ackWaitMs?: number },
  run: (f: Fixture) => Promise<void>,
): Promise<void> {
  // Declared first, so dropped last: after everything on it has been closed.
  await using throwaway = await testDatabase(storage)
  const { name, url } = throwaway
  if (busKind === 'jetstream') created.streams.push(name)

  const open: Array<() => Promise<void>> = []
  const crashed = new Set<Bus>()
  const buses: Bus[] = []
  const openBus = async (): Promise<Bus> => {
    const bus =
      busKind === 'jetstream'
        ? await connectJetStream({ servers: NATS_URL, stream: name, name, ackWaitMs: options.ackWaitMs })
        : openLocalBus({ path: join(scratch.path, `${name}-bus.db`) })
    buses.push(bus)
    return bus
  }

  const database = await openDatabase<Tables>(url, { poolSize: 2 })
  open.push(() => database.close())
  try {
    await migrate(database, 'platform', platformMigrations)
    await migrate(database, 'test', testMigrations)
    const bus = await openBus()
    open.push(async () => {
      for (const b of buses) if (!crashed.has(b)) await b.close()
    })
    const relay = startRelay({
      database: database as unknown as Database<PlatformTables>,
      bus,
      log,
      pollMs: 200,
    })
    open.push(() => relay.stop())

    await run({
      database,
      db: database.db,
      busKind,
      bus,
      relay,
      openBus,
      async crash(victim) {
        crashed.add(victim)
        // JetStream: close() stops waiting for the hung handler after ack_wait and drops the
        // connection without an ack, so the server hands the message to the next taker. Local: the
        // bus is just abandoned — close() would wait for the hung batch forever — and its cursor
        // moves only after a whole batch settles, so a new bus on the same file starts before it.
        if (victim.kind === 'jetstream') await victim.close()
      },
      consumer: (handlers, maxAttempts = 5) =>
        createConsumer<TestTables>({ consumer: CONSUMER, database, handlers, log, maxAttempts }).handle,
      watch(handle, on = bus) {
        const probe = new Probe()
        on.consume(
          CONSUMER,
          async (message) => {
            const delivery: Delivery = { id: message.id, attempt: message.attempt }
            probe.deliveries.push(delivery)
            try {
              delivery.outcome = await handle(message)
            } catch (error) {
              delivery.outcome = 'failed'
              throw error
            }
          },
          CONSUME,
        )
        return probe
      },
      async commit(events) {
        await database.db
          .transaction()
          .execute((trx) => appendToOutbox(trx as unknown as Kysely<PlatformTables>, events))
        relay.kick()
      },
    })
  } finally {
    for (const close of open.reverse()) await close()
  }
}

// ---------------------------------------------------------------------------------------------
// The contract.

const insertEffect: EventHandlers<TestTables>['PaymentApproved'] = async (trx, event) => {
  await trx.insertInto('effect').values({ event_id: event.id, n: 1 }).execute()
}

let orderIds = 0
const paymentApproved = (amt = 500): DomainEvent =>
  toEnvelope(
    'test',
    {
      type: 'PaymentApproved',
      orderId: ++orderIds,
      data: { paymentId: orderIds, phoneNumber: '01012345678', amt },
    },
    new Date(),
  )

const toMessage = (event: DomainEvent): OutgoingMessage => ({
  id: event.id,
  type: event.type,
  payload: JSON.stringify(event),
})

async function effectsOf(
  db: Kysely<Tables>,
  eventId?: string,
): Promise<Array<{ event_id: string; n: number }>> {
  let query = db.selectFrom('effect').select(['event_id', 'n']).orderBy('id')
  if (eventId) query = query.where('event_id', '=', eventId)
  return (await query.execute()).map((r) => ({ event_id: r.event_id, n: Number(r.n) }))
}

async function countOf(db: Kysely<Tables>, table: 'outbox' | 'inbox' | 'dead_letter'): Promise<number> {
  const row = await (db as unknown as Kysely<PlatformTables>)
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('count'))
    .executeTakeFirstOrThrow()
  return Number(row.count)
}

const inboxOf = async (db: Kysely<Tables>, eventId: string) =>
  db
    .selectFrom('inbox')
    .select('event_id')
    .where('consumer', '=', CONSUMER)
    .where('event_id', '=', eventId)
    .execute()

const deadLetters = (db: Kysely<Tables>) =>
  db.selectFrom('dead_letter').selectAll().where('consumer', '=', CONSUMER).orderBy('id').execute()

interface Case {
  readonly name: string
  readonly ackWaitMs?: number
  run(f: Fixture): Promise<void>
}

const cases: readonly Case[] = [
  {
    name: 'an outbox event is delivered once',
    async run(f) {
      const probe = f.watch(f.consumer({ PaymentApproved: insertEffect }))
      const events = Array.from({ length: 20 }, () => paymentApproved())
      await f.commit(events.slice(0, 10))
      await f.commit(events.slice(10))

      await waitFor(async () => (await effectsOf(f.db)).length >= events.length, WAIT_MS, {
        what: 'all effects',
      })
      // An effect commits before its handler returns the outcome the probe records.
      await waitFor(() => events.every((e) => probe.settled(e.id, 'handled')), WAIT_MS, {
        what: 'every delivery handled',
      })
      await probe.settle()
      const effects = await effectsOf(f.db)
      for (const event of events) {
        assert.equal(effects.filter((e) => e.event_id === event.id).length, 1, `effects of ${event.id}`)
        assert.ok(probe.settled(event.id, 'handled'))
      }
      assert.equal(effects.length, events.length)
      assert.equal(await countOf(f.db, 'outbox'), 0, 'outbox drained')
      assert.equal(await countOf(f.db, 'inbox'), events.length, 'one inbox row per event')
      assert.equal(await countOf(f.db, 'dead_letter'), 0)
    },
  },
  {
    name: 'a consumer that dies after its commit but before its ack causes no second effect',
    ackWaitMs: 1_000,
    async run(f) {
      const handle = f.consumer({ PaymentApproved: insertEffect })
      const firstLife: Array<Outcome> = []
      f.bus.consume(
        CONSUMER,
        async (message) => {
          firstLife.push(await handle(message))
          // The process dies here: the effect and the inbox row are committed, the ack never goes out.
          await new Promise<never>(() => {})
        },
        CONSUME,
      )
      const event = paymentApproved()
      await f.commit([event])
      await waitFor(() => firstLife.length > 0, WAIT_MS, { what: 'the first delivery' })
      assert.deepEqual(firstLife, ['handled'])
      await f.relay.flush()
      await f.crash(f.bus)

      const restarted = await f.openBus()
      const probe = f.watch(handle, restarted)
      await waitFor(() => probe.of(event.id).some((d) => d.outcome), WAIT_MS, { what: 'the redelivery' })
      await probe.settle()

      assert.ok(probe.of(event.id).length >= 1, 'the unacknowledged message was redelivered')
      assert.ok(
        probe.outcomes(event.id).every((o) => o === 'duplicate'),
        `outcomes after restart: ${probe.outcomes(event.id)}`,
      )
      if (f.busKind === 'jetstream') assert.ok(probe.attempts(event.id).every((a) => a >= 2))
      assert.deepEqual(await effectsOf(f.db, event.id), [{ event_id: event.id, n: 1 }])
      assert.equal((await inboxOf(f.db, event.id)).length, 1)
    },
  },
  {
    name: 'a handler that fails is retried',
    async run(f) {
      let calls = 0
      const probe = f.watch(
        f.consumer({
          PaymentApproved: async (trx, event) => {
            calls++
            // Written before the failure: a failed attempt must roll back with its inbox row.
            await trx.insertInto('effect').values({ event_id: event.id, n: calls }).execute()
            if (calls < 3) throw new Error(`transient failure ${calls}`)
          },
        }),
      )
      const event = paymentApproved()
      await f.commit([event])
      await waitFor(() => probe.settled(event.id, 'handled'), WAIT_MS, { what: 'the third attempt' })
      await probe.settle()

      assert.deepEqual(probe.attempts(event.id), [1, 2, 3])
      assert.deepEqual(probe.outcomes(event.id), ['failed', 'failed', 'handled'])
      assert.deepEqual(await effectsOf(f.db, event.id), [{ event_id: event.id, n: 3 }])
      assert.equal((await inboxOf(f.db, event.id)).length, 1)
      assert.equal(await countOf(f.db, 'dead_letter'), 0)
    },
  },
  {
    name: 'a rolled-back transaction publishes nothing',
    async run(f) {
      const probe = f.watch(f.consumer({ PaymentApproved: insertEffect }))
      const rolledBack = paymentApproved()
      await assert.rejects(
        f.database.db.transaction().execute(async (trx) => {
          await appendToOutbox(trx as unknown as Kysely<PlatformTables>, [rolledBack])
          throw new Error('the state change failed')
        }),
        /the state change failed/,
      )
      f.relay.kick()
      await f.relay.flush()
      await sleep(500)
      assert.equal(probe.deliveries.length, 0, 'nothing was delivered')
      assert.equal(await countOf(f.db, 'outbox'), 0)

      // The same path does deliver a committed event, so the silence above means something.
      const committed = paymentApproved()
      await f.commit([committed])
      await waitFor(() => probe.settled(committed.id, 'handled'), WAIT_MS, { what: 'the committed event' })
      assert.deepEqual(
        probe.deliveries.map((d) => d.id),
        [committed.id],
      )
      assert.deepEqual(
        (await effectsOf(f.db)).map((e) => e.event_id),
        [committed.id],
      )
    },
  },
  {
    name: 'a publish repeated with the same event id is stored once',
    async run(f) {
      const probe = f.watch(f.consumer({ PaymentApproved: insertEffect }))
      const event = paymentApproved()
      await f.bus.publish([toMessage(event)])
      await f.bus.publish([toMessage(event)])
      await f.bus.publish([toMessage(event), toMessage(event)])
      const control = paymentApproved()
      await f.bus.publish([toMessage(control)])

      await waitFor(() => probe.settled(control.id, 'handled'), WAIT_MS, { what: 'the control event' })
      await waitFor(() => probe.settled(event.id, 'handled'), WAIT_MS, { what: 'the repeated event' })
      await probe.settle()
      // Counted at the bus, before the inbox could hide a second copy.
      assert.deepEqual(probe.attempts(event.id), [1], 'delivered once')
      assert.equal((await effectsOf(f.db, event.id)).length, 1)
      assert.equal((await effectsOf(f.db, control.id)).length, 1)
    },
  },
  {
    name: 'a handler failing maxAttempts times is dead-lettered and the stream goes on',
    async run(f) {
      const poisoned = paymentApproved()
      const probe = f.watch(
        f.consumer(
          {
            PaymentApproved: async (trx, event) => {
              if (event.id === poisoned.id) throw new Error('poisoned event')
              await insertEffect(trx, event)
            },
          },
          3,
        ),
      )
      const next = paymentApproved()
      await f.commit([poisoned, next])
      const [letter] = await waitFor(
        async () => {
          const rows = await deadLetters(f.db)
          return rows.length > 0 && rows
        },
        WAIT_MS,
        { what: 'the dead letter' },
      )
      assert.ok(letter)
      assert.equal(letter.event_id, poisoned.id)
      assert.equal(letter.type, 'PaymentApproved')
      assert.equal(letter.attempts, 3)
      assert.match(letter.error, /poisoned event/)
      assert.deepEqual(JSON.parse(letter.payload), poisoned)

      await waitFor(async () => (await effectsOf(f.db, next.id)).length > 0, WAIT_MS, {
        what: 'the next event',
      })
      const later = paymentApproved()
      await f.commit([later])
      await waitFor(async () => (await effectsOf(f.db, later.id)).length > 0, WAIT_MS, {
        what: 'a later event',
      })
      await probe.settle()

      assert.deepEqual(probe.attempts(poisoned.id), [1, 2, 3], 'not delivered again once dead-lettered')
      assert.deepEqual(probe.outcomes(poisoned.id), ['failed', 'failed', 'dead-lettered'])
      assert.equal((await deadLetters(f.db)).length, 1)
      assert.deepEqual(await effectsOf(f.db, poisoned.id), [])
      // Recorded with the dead letter, so a redelivery after a crash is a duplicate, not a second letter.
      assert.equal((await inboxOf(f.db, poisoned.id)).length, 1)
      assert.equal((await effectsOf(f.db, next.id)).length, 1)
    },
  },
  {
    name: 'an invalid event goes straight to the dead letters',
    async run(f) {
      let calls = 0
      const probe = f.watch(
        f.consumer({
          PaymentApproved: async (trx, event) => {
            calls++
            await insertEffect(trx, event)
          },
        }),
      )
      const invalid = paymentApproved(-1)
      await f.commit([invalid])
      const [letter] = await waitFor(
        async () => {
          const rows = await deadLetters(f.db)
          return rows.length > 0 && rows
        },
        WAIT_MS,
        { what: 'the dead letter' },
      )
      await probe.settle()

      assert.ok(letter)
      assert.equal(letter.event_id, invalid.id)
      assert.equal(letter.attempts, 1)
      assert.match(letter.error, /^invalid event: PaymentApproved failed validation: \/data\/amt /)
      assert.deepEqual(probe.attempts(invalid.id), [1])
      assert.deepEqual(probe.outcomes(invalid.id), ['dead-lettered'])
      assert.equal(calls, 0, 'the handler never saw it')
      assert.deepEqual(await effectsOf(f.db), [])
      assert.equal((await deadLetters(f.db)).length, 1)
    },
  },
]

// ---------------------------------------------------------------------------------------------
// The matrix.

const storages: readonly Storage[] = ['postgres', 'mysql', 'sqlite']
const buses: readonly BusKind[] = ['jetstream', 'local']

describe('reliability contract', { concurrency: true }, () => {
  after(cleanUp)
  for (const storage of storages) {
    for (const busKind of buses) {
      describe(`${storage} × ${busKind}`, { concurrency: true }, () => {
        for (const c of cases) {
          test(c.name, { timeout: 30_000 }, () =>
            withFixture(storage, busKind, { ackWaitMs: c.ackWaitMs }, c.run),
          )
        }
      })
    }
  }
})

/**
 * Deletes every stream the cases created (each case drops its own database). Each kind is cleaned
 * up on its own, so one server refusing does not leave the others' leftovers behind.
 */
async function cleanUp(): Promise<void> {
  const deleteStreams = async () => {
    const nc = await connectNats({ servers: NATS_URL })
    try {
      const jsm = await jetstreamManager(nc)
      for (const name of created.streams) {
        await jsm.streams.delete(name).catch((error: unknown) => {
          // A case that failed before its bus connected left no stream behind.
          if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamNotFound)
            throw error
        })
      }
    } finally {
      await nc.close()
    }
  }
  const results = await Promise.allSettled([created.streams.length > 0 && deleteStreams(), scratch.remove()])
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))
  if (failures.length > 0) throw new AggregateError(failures, 'reliability test clean-up failed')
}
