/**
 * The outbox relay against every storage, with a slow broker: a service transaction writing to
 * the outbox does not wait for the publish in flight (MariaDB's repeatable read made it wait for
 * the relay's gap lock).
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
import { type Kysely, sql } from 'kysely'
import { connectJetStream } from '../bus/jetstream.ts'
import { openLocalBus } from '../bus/local.ts'
import type { Bus } from '../bus/port.ts'
import { openDatabase } from '../db/database.ts'
import { migrate } from '../db/migrate.ts'
import { type PlatformTables, platformMigrations } from '../db/platform-tables.ts'
import { createLogger } from '../logger.ts'
import { tempDir, uniqueName, waitFor } from '../testing.ts'
import { appendToOutbox, toEnvelope } from './outbox.ts'
import { startRelay } from './relay.ts'

const SERVERS = {
  postgres: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432',
  mysql: process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
}
const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222'
const WAIT_MS = 15_000

type Storage = 'sqlite' | 'postgres' | 'mysql'
type BusKind = 'jetstream' | 'local'

const log = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' })
const scratch = await tempDir('cafe-relay-')
const created = {
  databases: [] as Array<{ storage: Exclude<Storage, 'sqlite'>; name: string }>,
  streams: [] as string[],
}

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
  const name = uniqueName()
  const { storage } = setup
  const url =
    storage === 'sqlite' ? `sqlite:${join(scratch.path, `${name}.db`)}` : `${SERVERS[storage]}/${name}`
  if (storage !== 'sqlite') created.databases.push({ storage, name })
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

describe('outbox relay', { concurrency: true }, () => {
  after(cleanUp)
  for (const storage of ['sqlite', 'postgres', 'mysql'] as const) {
    describe(storage, { concurrency: true }, () => {
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
  const drops = created.databases.map(async ({ storage, name }) => {
    const admin = await openDatabase(`${SERVERS[storage]}/${storage === 'postgres' ? 'postgres' : ''}`, {
      create: false,
      poolSize: 1,
    })
    try {
      const force = storage === 'postgres' ? sql` with (force)` : sql``
      await sql`drop database if exists ${sql.id(name)}${force}`.execute(admin.db)
    } finally {
      await admin.close()
    }
  })
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
  await Promise.all([...drops, deleteStreams(), scratch.remove()])
}
