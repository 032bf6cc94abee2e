/**
 * Transient failures, against every storage: a lock held past the lock timeout (SQLite: its one
 * writer taken), a database that went away, a dependency unavailable. Each is retried for as long
 * as it lasts, far past maxAttempts, and never dead-lettered; poison failures among them still
 * are, once maxAttempts of them are counted. The consumer is fed deliveries directly, with the
 * attempt numbers the bus would give: how the bus paces retries plays no part here.
 *
 * Servers: PostgreSQL and MariaDB/MySQL at the URLs below (TEST_POSTGRES_URL, TEST_MYSQL_URL);
 * every case gets its own database. "Away" is a TCP proxy refusing new connections while the
 * server drops the ones open (see the kit's fault proxy, testing/proxy.ts).
 */
import assert from 'node:assert/strict'
import { DatabaseSync } from 'node:sqlite'
import { describe, test } from 'node:test'
import type { DomainEvent } from '@cafeteria/contracts'
import { type Kysely, sql } from 'kysely'
import { type Database, openDatabase } from '../db/database.ts'
import { migrate, type ServiceMigration } from '../db/migrate.ts'
import { type PlatformTables, platformMigrations } from '../db/platform-tables.ts'
import { createHttpClient } from '../http/client.ts'
import { createLogger } from '../logger.ts'
import {
  closedPort,
  type FaultProxy,
  type Storage,
  startFaultProxy,
  TEST_SERVERS,
  testDatabase,
  waitFor,
} from '../testing/index.ts'
import { type Consumer, createConsumer, type EventHandlers, type Outcome } from './consumer.ts'
import { listDeadLetters } from './dead-letters.ts'
import { toEnvelope } from './outbox.ts'
import { TransientError } from './transient.ts'

const CONSUMER = 'effects'
const MAX_ATTEMPTS = 2
/** Deliveries failing transiently: well past MAX_ATTEMPTS. */
const TRANSIENT_DELIVERIES = MAX_ATTEMPTS + 4
const log = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' })

type Server = Exclude<Storage, 'sqlite'>

interface TestTables {
  effect: { id: number; event_id: string }
  counter: { id: number; n: number }
}
type Tables = TestTables & PlatformTables

const testMigrations: readonly ServiceMigration[] = [
  {
    name: '001_effect_counter',
    async up(db) {
      await db.schema
        .createTable('effect')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('event_id', 'varchar(64)', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('counter')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('n', 'integer', (c) => c.notNull())
        .execute()
      await db.insertInto('counter').values({ id: 1, n: 0 }).execute()
    },
  },
]

interface Fixture {
  readonly storage: Storage
  readonly url: string
  readonly db: Kysely<Tables>
  /** Delivers the event as the bus would on this attempt; a rejection is returned, not thrown. */
  deliver(event: DomainEvent, attempt: number): Promise<Outcome | unknown>
  consumer(handlers: EventHandlers<TestTables>): void
  deadLetters(): Promise<number>
  counted(): Promise<number>
  counter(): Promise<number>
}

async function withFixture(
  storage: Storage,
  options: { proxy?: FaultProxy },
  run: (f: Fixture) => Promise<void>,
): Promise<void> {
  // Declared first, so dropped last: after the pools below have been closed.
  await using throwaway = await testDatabase(storage)
  const { url } = throwaway
  // Set up directly; the consumer alone goes through the proxy, when there is one.
  const setup = await openDatabase<Tables>(url, { poolSize: 1 })
  try {
    await migrate(setup, 'platform', platformMigrations)
    await migrate(setup, 'test', testMigrations)
  } finally {
    await setup.close()
  }
  const database: Database<Tables> = await openDatabase<Tables>(
    options.proxy ? viaProxy(url, options.proxy) : url,
    { poolSize: 2, create: false },
  )
  try {
    if (storage === 'sqlite') {
      // The default busy timeout is 5 s; waiting it out on every delivery would only slow the test.
      await sql`pragma busy_timeout = 50`.execute(database.db)
    }
    let consumer: Consumer | undefined
    const platform = database.db as unknown as Kysely<PlatformTables>
    await run({
      storage,
      url,
      db: database.db,
      consumer(handlers) {
        consumer = createConsumer<TestTables>({
          consumer: CONSUMER,
          database,
          handlers,
          log,
          maxAttempts: MAX_ATTEMPTS,
        })
      },
      deliver(event, attempt) {
        assert.ok(consumer, 'a consumer')
        const message = { id: event.id, type: event.type, payload: JSON.stringify(event), attempt }
        return consumer.handle(message).catch((error: unknown) => error)
      },
      deadLetters: async () => (await listDeadLetters(platform, { consumer: CONSUMER })).length,
      async counted() {
        const rows = await platform.selectFrom('consumer_failure').select('failures').execute()
        return rows.reduce((sum, r) => sum + Number(r.failures), 0)
      },
      async counter() {
        const row = await database.db
          .selectFrom('counter')
          .select('n')
          .where('id', '=', 1)
          .executeTakeFirstOrThrow()
        return Number(row.n)
      },
    })
  } finally {
    await database.close()
  }
}

function viaProxy(url: string, proxy: FaultProxy): string {
  const u = new URL(url)
  u.port = new URL(proxy.url).port
  return u.toString()
}

let orderIds = 0
const paymentApproved = (): DomainEvent =>
  toEnvelope(
    'test',
    {
      type: 'PaymentApproved',
      orderId: ++orderIds,
      data: { paymentId: orderIds, phoneNumber: '01012345678', amt: 500 },
    },
    new Date(),
  )

const isTransient = (reasons: readonly string[]) => (outcome: unknown) =>
  outcome instanceof TransientError && reasons.includes(outcome.reason)

/** Delivers with rising attempt numbers until the outcome is not a transient failure. */
async function deliverUntilSettled(f: Fixture, event: DomainEvent, from: number): Promise<unknown> {
  let attempt = from
  return waitFor(
    async () => {
      const outcome = await f.deliver(event, attempt++)
      return !(outcome instanceof TransientError) && { outcome }
    },
    10_000,
    { what: 'a delivery that is not a transient failure' },
  ).then((settled) => settled.outcome)
}

/** Takes the lock the handler below needs, from another connection, until released. */
async function holdCounterLock(f: Fixture): Promise<() => Promise<void>> {
  if (f.storage === 'sqlite') {
    const other = new DatabaseSync(f.url.slice('sqlite:'.length))
    other.exec('begin immediate')
    return async () => {
      other.exec('rollback')
      other.close()
    }
  }
  const holder = await openDatabase(f.url, { poolSize: 1, create: false })
  let release = () => {}
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  let locked = () => {}
  const held = new Promise<void>((resolve) => {
    locked = resolve
  })
  const done = holder.db.transaction().execute(async (trx) => {
    await sql`update counter set n = n where id = 1`.execute(trx)
    locked()
    await released
  })
  await Promise.race([held, done])
  return async () => {
    release()
    await done
    await holder.close()
  }
}

/** A write to the counter row that gives up at once on a lock, as a lock timeout would. */
async function bumpCounter(trx: Kysely<Tables>, storage: Storage): Promise<void> {
  if (storage === 'postgres') {
    await sql`set local lock_timeout = '50ms'`.execute(trx)
    await sql`update counter set n = n + 1 where id = 1`.execute(trx)
  } else if (storage === 'mysql') {
    await sql`set statement innodb_lock_wait_timeout = 0 for update counter set n = n + 1 where id = 1`.execute(
      trx,
    )
  } else {
    await sql`update counter set n = n + 1 where id = 1`.execute(trx)
  }
}

/** Drops the connections the server has open for this database, as a restart would. */
async function dropConnections(storage: Server, name: string): Promise<void> {
  const admin = await openDatabase(`${TEST_SERVERS[storage]}/${storage === 'postgres' ? 'postgres' : ''}`, {
    create: false,
    poolSize: 1,
  })
  try {
    if (storage === 'postgres') {
      await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name}`.execute(
        admin.db,
      )
    } else {
      const { rows } = await sql<{
        id: number
      }>`select id from information_schema.processlist where db = ${name}`.execute(admin.db)
      for (const { id } of rows) await sql.raw(`kill connection ${Number(id)}`).execute(admin.db)
    }
  } finally {
    await admin.close()
  }
}

describe('transient failures', { concurrency: true }, () => {
  for (const storage of ['sqlite', 'postgres', 'mysql'] as const) {
    describe(storage, { concurrency: true }, () => {
      test(
        'a lock held too long is retried past maxAttempts and never dead-lettered',
        { timeout: 20_000 },
        () =>
          withFixture(storage, {}, async (f) => {
            f.consumer({ PaymentApproved: (trx, _event) => bumpCounter(trx as Kysely<Tables>, storage) })
            const event = paymentApproved()
            const release = await holdCounterLock(f)
            try {
              for (let attempt = 1; attempt <= TRANSIENT_DELIVERIES; attempt++) {
                const outcome = await f.deliver(event, attempt)
                assert.ok(isTransient(['lock-timeout', 'busy'])(outcome), `attempt ${attempt}: ${outcome}`)
              }
            } finally {
              await release()
            }
            assert.equal(await f.deadLetters(), 0, 'never dead-lettered')
            assert.equal(await f.counted(), 0, 'not counted as poison')
            assert.equal(await f.deliver(event, TRANSIENT_DELIVERIES + 1), 'handled')
            assert.equal(await f.deliver(event, TRANSIENT_DELIVERIES + 2), 'duplicate')
            assert.equal(await f.counter(), 1, 'the effect once')
            assert.equal(await f.deadLetters(), 0)
          }),
      )

      if (storage !== 'sqlite') {
        test('a database that went away is retried until it is back', { timeout: 30_000 }, async () => {
          const proxy = await startFaultProxy({
            host: '127.0.0.1',
            port: Number(new URL(TEST_SERVERS[storage]).port),
          })
          try {
            await withFixture(storage, { proxy }, async (f) => {
              f.consumer({ PaymentApproved: (trx, _event) => bumpCounter(trx as Kysely<Tables>, storage) })
              const warmUp = paymentApproved()
              assert.equal(await f.deliver(warmUp, 1), 'handled', 'the pool holds open connections')

              proxy.down(true)
              await dropConnections(storage, new URL(f.url).pathname.slice(1))
              const event = paymentApproved()
              for (let attempt = 1; attempt <= TRANSIENT_DELIVERIES; attempt++) {
                const outcome = await f.deliver(event, attempt)
                assert.ok(isTransient(['connection'])(outcome), `attempt ${attempt}: ${outcome}`)
              }

              proxy.down(false)
              assert.equal(await deliverUntilSettled(f, event, TRANSIENT_DELIVERIES + 1), 'handled')
              assert.equal(await f.counter(), 2, 'each event once')
              assert.equal(await f.deadLetters(), 0, 'never dead-lettered')
            })
          } finally {
            await proxy.close()
          }
        })
      }
    })
  }

  test('an unavailable dependency is retried and never dead-lettered', { timeout: 20_000 }, async () => {
    const kitchen = createHttpClient({ name: 'kitchen', baseUrl: `http://127.0.0.1:${await closedPort()}` })
    try {
      await withFixture('sqlite', {}, async (f) => {
        let calls = 0
        f.consumer({
          PaymentApproved: async (trx, event) => {
            calls++
            // A callee that refuses connections, then one that says it cannot serve for now.
            if (calls <= 3) await kitchen.send('POST', '/tickets', { orderId: event.orderId })
            if (calls <= TRANSIENT_DELIVERIES) throw new TransientError('printer out of paper')
            await trx.insertInto('effect').values({ id: event.orderId, event_id: event.id }).execute()
          },
        })
        const event = paymentApproved()
        for (let attempt = 1; attempt <= TRANSIENT_DELIVERIES; attempt++) {
          const outcome = await f.deliver(event, attempt)
          assert.ok(isTransient(['unavailable'])(outcome), `attempt ${attempt}: ${outcome}`)
        }
        assert.equal(await f.deliver(event, TRANSIENT_DELIVERIES + 1), 'handled')
        assert.equal(await f.deadLetters(), 0)
        assert.equal((await f.db.selectFrom('effect').selectAll().execute()).length, 1)
      })
    } finally {
      await kitchen.close()
    }
  })

  test('poison failures after transient ones are dead-lettered at maxAttempts of their own', async () => {
    await withFixture('sqlite', {}, async (f) => {
      let calls = 0
      f.consumer({
        PaymentApproved: async () => {
          calls++
          if (calls <= TRANSIENT_DELIVERIES) throw new TransientError('database failing over')
          throw new Error('no such product')
        },
      })
      const event = paymentApproved()
      for (let attempt = 1; attempt <= TRANSIENT_DELIVERIES; attempt++) {
        assert.ok(isTransient(['unavailable'])(await f.deliver(event, attempt)))
      }
      const firstPoison = await f.deliver(event, TRANSIENT_DELIVERIES + 1)
      assert.ok(firstPoison instanceof Error && !(firstPoison instanceof TransientError), `${firstPoison}`)
      assert.match(firstPoison.message, /no such product/)
      assert.equal(await f.deadLetters(), 0, 'one poison failure of two allowed')
      assert.equal(await f.counted(), 1)
      assert.equal(await f.deliver(event, TRANSIENT_DELIVERIES + 2), 'dead-lettered')
      const [letter] = await listDeadLetters(f.db as unknown as Kysely<PlatformTables>)
      assert.equal(letter?.error, 'Error: no such product')
      assert.equal(letter?.attempts, TRANSIENT_DELIVERIES + 2)
      assert.equal(await f.counted(), 0, 'the count goes with the dead letter')
    })
  })
})
