/**
 * Dead letters and their replay, against every storage: a letter marked for replay is applied
 * once by the service's replay worker, or stays with the new error; a dropped letter is gone while
 * its event stays handled. The consumer is fed messages directly: the bus plays no part here.
 *
 * Servers: PostgreSQL and MariaDB/MySQL at the URLs below (TEST_POSTGRES_URL, TEST_MYSQL_URL);
 * every case gets its own database.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { DomainEvent } from '@cafeteria/contracts'
import type { Generated, Kysely } from 'kysely'
import { type Database, openDatabase } from '../db/database.ts'
import { migrate, type ServiceMigration } from '../db/migrate.ts'
import { type PlatformTables, platformMigrations } from '../db/platform-tables.ts'
import { createLogger } from '../logger.ts'
import { type Storage, testDatabase, uniqueName, waitFor } from '../testing/index.ts'
import type { Worker } from '../worker.ts'
import { type Consumer, createConsumer } from './consumer.ts'
import {
  type DeadLetter,
  dropDeadLetter,
  findDeadLetter,
  listDeadLetters,
  requestReplay,
  startReplayWorker,
} from './dead-letters.ts'
import { toEnvelope } from './outbox.ts'

const CONSUMER = 'effects'
const log = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' })

interface TestTables {
  effect: { id: Generated<number>; event_id: string }
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
        .execute()
    },
  },
]

interface Fixture {
  readonly db: Kysely<Tables>
  readonly platform: Kysely<PlatformTables>
  /** Fails with `broken #<call>` until `broken` is set to false; one attempt makes a dead letter. */
  readonly consumer: Consumer
  broken: boolean
  /** The replay worker of a running service (a second one plays a second replica). */
  startWorker(): Worker
  /** Delivers an event as the bus would, on its first attempt. */
  deliver(event: DomainEvent | string, id?: string): ReturnType<Consumer['handle']>
  letterOf(eventId: string): Promise<DeadLetter>
  effectsOf(eventId: string): Promise<number>
  inboxOf(eventId: string): Promise<number>
}

async function withFixture(storage: Storage, run: (f: Fixture) => Promise<void>): Promise<void> {
  // Declared first, so dropped last: after the pool below has been closed.
  await using throwaway = await testDatabase(storage)
  const database: Database<Tables> = await openDatabase<Tables>(throwaway.url, { poolSize: 4 })
  const workers: Worker[] = []
  try {
    await migrate(database, 'platform', platformMigrations)
    await migrate(database, 'test', testMigrations)
    const db = database.db
    const platform = db as unknown as Kysely<PlatformTables>
    let calls = 0
    const fixture: Fixture = {
      db,
      platform,
      broken: true,
      consumer: createConsumer<TestTables>({
        consumer: CONSUMER,
        database,
        log,
        maxAttempts: 1,
        handlers: {
          PaymentApproved: async (trx, event) => {
            calls++
            // Written before the failure: a failed replay must roll it back.
            await trx.insertInto('effect').values({ event_id: event.id }).execute()
            if (fixture.broken) throw new Error(`broken #${calls}`)
          },
        },
      }),
      startWorker() {
        const worker = startReplayWorker({
          db: platform,
          consumer: CONSUMER,
          replay: fixture.consumer.replay,
          log,
          pollMs: 20,
        })
        workers.push(worker)
        return worker
      },
      deliver: (event, id) =>
        fixture.consumer.handle(
          typeof event === 'string'
            ? { id: id ?? uniqueName('bad-'), type: 'PaymentApproved', payload: event, attempt: 1 }
            : { id: event.id, type: event.type, payload: JSON.stringify(event), attempt: 1 },
        ),
      async letterOf(eventId) {
        const [letter, ...more] = (await listDeadLetters(platform)).filter((l) => l.eventId === eventId)
        assert.ok(letter, `a dead letter for ${eventId}`)
        assert.equal(more.length, 0, `one dead letter for ${eventId}`)
        return letter
      },
      async effectsOf(eventId) {
        return (await db.selectFrom('effect').select('id').where('event_id', '=', eventId).execute()).length
      },
      async inboxOf(eventId) {
        return (await db.selectFrom('inbox').select('event_id').where('event_id', '=', eventId).execute())
          .length
      },
    }
    await run(fixture)
  } finally {
    for (const worker of workers) await worker.stop()
    await database.close()
  }
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

const gone = (f: Fixture, id: number) => async () => (await findDeadLetter(f.platform, id)) === undefined

const cases: ReadonlyArray<{ name: string; run(f: Fixture): Promise<void> }> = [
  {
    name: 'a letter marked for replay is applied once and deleted; unmarked letters stay',
    async run(f) {
      const event = paymentApproved()
      const other = paymentApproved()
      assert.equal(await f.deliver(event), 'dead-lettered')
      assert.equal(await f.deliver(other), 'dead-lettered')
      const letter = await f.letterOf(event.id)
      assert.equal(letter.attempts, 1)
      assert.equal(letter.error, 'Error: broken #1')
      assert.equal(letter.replayRequestedAt, null)
      assert.equal(await f.effectsOf(event.id), 0)

      f.broken = false
      assert.equal(await requestReplay(f.platform, letter.id), 1)
      assert.ok((await findDeadLetter(f.platform, letter.id))?.replayRequestedAt)
      // Two replicas of the service race for the same letter.
      f.startWorker()
      f.startWorker()
      await waitFor(gone(f, letter.id), 5_000, { what: 'the letter to be replayed' })
      await f.startWorker().idle()

      assert.equal(await f.effectsOf(event.id), 1)
      assert.equal(await f.inboxOf(event.id), 1)
      assert.equal(await f.deliver(event), 'duplicate', 'a redelivery after the replay changes nothing')
      assert.equal(await f.effectsOf(event.id), 1)
      const untouched = await f.letterOf(other.id)
      assert.equal(untouched.attempts, 1, 'a letter nobody marked is not replayed')
      assert.equal(await f.effectsOf(other.id), 0)
    },
  },
  {
    name: 'a replay that fails again keeps the letter with the new error, one more attempt and no mark',
    async run(f) {
      const event = paymentApproved()
      await f.deliver(event)
      const letter = await f.letterOf(event.id)
      assert.equal(await requestReplay(f.platform, 'all'), 1)
      f.startWorker()
      await waitFor(async () => (await f.letterOf(event.id)).replayRequestedAt === null, 5_000, {
        what: 'the failed replay',
      })

      const after = await f.letterOf(event.id)
      assert.equal(after.id, letter.id)
      assert.equal(after.attempts, 2)
      assert.equal(after.error, 'Error: broken #2')
      assert.ok(after.failedAt >= letter.failedAt)
      assert.equal(after.payload, letter.payload)
      assert.equal(await f.effectsOf(event.id), 0, 'the failed replay rolled back')
      assert.equal(await f.inboxOf(event.id), 1, 'still a duplicate for the bus')
      assert.equal(await f.deliver(event), 'duplicate')
      assert.equal(await requestReplay(f.platform, 'all'), 1, 'it can be marked again')
    },
  },
  {
    name: 'a dropped letter is gone and its event stays handled',
    async run(f) {
      const event = paymentApproved()
      await f.deliver(event)
      const letter = await f.letterOf(event.id)
      assert.equal(await dropDeadLetter(f.platform, letter.id), true)
      assert.equal(await dropDeadLetter(f.platform, letter.id), false)
      assert.equal(await findDeadLetter(f.platform, letter.id), undefined)
      assert.equal(await requestReplay(f.platform, letter.id), 0)
      f.broken = false
      assert.equal(await f.deliver(event), 'duplicate')
      assert.equal(await f.effectsOf(event.id), 0)
      assert.equal(await f.inboxOf(event.id), 1)
    },
  },
  {
    name: 'an invalid event replayed fails again and stays',
    async run(f) {
      f.broken = false
      const invalid = { ...paymentApproved(), data: { paymentId: 1, phoneNumber: '01012345678', amt: -1 } }
      assert.equal(await f.deliver(JSON.stringify(invalid), invalid.id), 'dead-lettered')
      const letter = await f.letterOf(invalid.id)
      assert.match(letter.error, /^invalid event: PaymentApproved failed validation: \/data\/amt /)
      await requestReplay(f.platform, letter.id)
      f.startWorker()
      await waitFor(async () => (await f.letterOf(invalid.id)).replayRequestedAt === null, 5_000, {
        what: 'the failed replay',
      })
      const after = await f.letterOf(invalid.id)
      assert.equal(after.attempts, 2)
      assert.match(after.error, /^invalid event: PaymentApproved failed validation: \/data\/amt /)
      assert.equal(await f.effectsOf(invalid.id), 0)
      assert.equal(await f.inboxOf(invalid.id), 1)
    },
  },
]

describe('dead letters', { concurrency: true }, () => {
  for (const storage of ['sqlite', 'postgres', 'mysql'] as const) {
    describe(storage, { concurrency: true }, () => {
      for (const c of cases) test(c.name, { timeout: 15_000 }, () => withFixture(storage, c.run))
    })
  }
})
