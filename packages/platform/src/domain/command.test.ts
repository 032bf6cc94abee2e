import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type Kysely, sql, type Transaction } from 'kysely'
import { type Database, openDatabase } from '../db/database.ts'
import { migrate } from '../db/migrate.ts'
import { type PlatformTables, platformMigrations } from '../db/platform-tables.ts'
import { appendToOutbox, toEnvelope } from '../events/outbox.ts'
import { type CommandContext, handleCommand } from './command.ts'
import { type Decider, rejected } from './decider.ts'

/**
 * A phone's points as a tiny state-stored aggregate: a row with a version, saved only over the
 * version it was loaded at. `Earn` adds points and announces PointsAccrued (keeping beside it the
 * reason, which is no contract's business); earning under one reason twice does nothing; a card
 * holds at most 100 points.
 */
interface Card {
  readonly points: number
  readonly reasons: readonly string[]
  readonly version: number
}
type Earn = { readonly type: 'Earn'; readonly points: number; readonly reason: string }
type Earned = {
  readonly type: 'PointsAccrued'
  readonly orderId: number
  readonly data: { phoneNumber: string; point: number; totalPoint: number }
  readonly reason: string
}

const phoneNumber = '01012345678'
const cardDecider: Decider<Card, Earn, Earned> = {
  initialState: () => ({ points: 0, reasons: [], version: 0 }),
  decide(command, card) {
    if (card.reasons.includes(command.reason)) return []
    const totalPoint = card.points + command.points
    if (totalPoint > 100) return rejected(`a card holds 100 points; it has ${card.points}`)
    const data = { phoneNumber, point: command.points, totalPoint }
    return [{ type: 'PointsAccrued', orderId: 1, data, reason: command.reason }]
  },
  evolve: (card, event) => ({
    ...card,
    points: event.data.totalPoint,
    reasons: [...card.reasons, event.reason],
  }),
}

interface Tables extends PlatformTables {
  card: { phone_number: string; points: number; reasons: string; version: number }
}
type Trx = Transaction<Tables>

async function openCards(): Promise<Database<Tables>> {
  const database = await openDatabase<Tables>('sqlite::memory:')
  await migrate(database, 'platform', platformMigrations)
  await sql`create table card (phone_number text primary key, points integer not null, reasons text not null, version integer not null)`.execute(
    database.db,
  )
  return database
}

const contextOf = (database: Database<Tables>): CommandContext<Trx> => ({
  transaction: (work) => database.transaction(work),
  emit: (trx, events) =>
    appendToOutbox(
      trx as unknown as Kysely<PlatformTables>,
      events.map((e) => toEnvelope('card', e, new Date())),
    ),
})

async function loadCard(db: Kysely<Tables>): Promise<Card | undefined> {
  const row = await db
    .selectFrom('card')
    .selectAll()
    .where('phone_number', '=', phoneNumber)
    .executeTakeFirst()
  return row && { points: row.points, reasons: JSON.parse(row.reasons), version: row.version }
}

/** Saves over the version loaded: a row that is not there yet must still be missing. */
async function saveCard(db: Kysely<Tables>, card: Card, loaded: Card | undefined): Promise<Card | undefined> {
  const saved = { ...card, version: (loaded?.version ?? 0) + 1 }
  const values = { points: saved.points, reasons: JSON.stringify(saved.reasons), version: saved.version }
  const written = loaded
    ? await db
        .updateTable('card')
        .set(values)
        .where('phone_number', '=', phoneNumber)
        .where('version', '=', loaded.version)
        .executeTakeFirst()
    : await db
        .insertInto('card')
        .values({ phone_number: phoneNumber, ...values })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst()
  const count = 'numUpdatedRows' in written ? written.numUpdatedRows : written.numInsertedOrUpdatedRows
  return Number(count) === 1 ? saved : undefined
}

/** Another writer that earns between this command's load and its save. */
const rival = (db: Kysely<Tables>, reason: string) =>
  db
    .insertInto('card')
    .values({ phone_number: phoneNumber, points: 10, reasons: JSON.stringify([reason]), version: 1 })
    .onConflict((oc) =>
      oc.column('phone_number').doUpdateSet({
        points: sql`points + 10`,
        reasons: sql`json_insert(reasons, '$[#]', ${reason})`,
        version: sql`version + 1`,
      }),
    )
    .execute()

async function outbox(db: Kysely<Tables>) {
  const rows = await db.selectFrom('outbox').select('payload').orderBy('id').execute()
  return rows.map((row) => {
    // What another service receives: no more than the contract's fields.
    const { id: _id, source: _source, occurredAt: _at, ...event } = JSON.parse(row.payload)
    return event
  })
}

const earn = (points: number, reason: string): Earn => ({ type: 'Earn', points, reason })

describe('handleCommand', () => {
  test('given a save that loses to a concurrent change, when the command runs, then it decides again on the new state, and only the winning save announces', async () => {
    const database = await openCards()
    let loads = 0
    const outcome = await handleCommand(contextOf(database), {
      decider: cardDecider,
      command: earn(30, 'order 1'),
      async load(trx) {
        const card = await loadCard(trx)
        if (++loads === 1) await rival(trx, 'order 2')
        return card
      },
      save: (trx, card, loaded) => saveCard(trx, card, loaded),
      attempts: 3,
    })
    assert.equal(outcome.kind, 'done')
    assert.deepEqual(await loadCard(database.db), { points: 40, reasons: ['order 2', 'order 1'], version: 2 })
    assert.deepEqual(await outbox(database.db), [
      { type: 'PointsAccrued', orderId: 1, data: { phoneNumber, point: 30, totalPoint: 40 } },
    ])
    await database.close()
  })

  test('given a command rejected by the decider, then the rejection is returned and nothing is saved or announced', async () => {
    const database = await openCards()
    await rival(database.db, 'order 2')
    const outcome = await handleCommand(contextOf(database), {
      decider: cardDecider,
      command: earn(95, 'order 1'),
      load: loadCard,
      save: (trx, card, loaded) => saveCard(trx, card, loaded),
    })
    assert.deepEqual(outcome, { kind: 'rejected', reason: 'a card holds 100 points; it has 10' })
    assert.deepEqual(await loadCard(database.db), { points: 10, reasons: ['order 2'], version: 1 })
    assert.deepEqual(await outbox(database.db), [])
    await database.close()
  })

  test('given concurrent changes that win every attempt, then it reports the race and announces nothing', async () => {
    const database = await openCards()
    let loads = 0
    const outcome = await handleCommand(contextOf(database), {
      decider: cardDecider,
      command: earn(5, 'order 1'),
      async load(trx) {
        const card = await loadCard(trx)
        await rival(trx, `order ${++loads + 1}`)
        return card
      },
      save: (trx, card, loaded) => saveCard(trx, card, loaded),
      attempts: 2,
    })
    assert.deepEqual(outcome, { kind: 'raced' })
    assert.deepEqual(await loadCard(database.db), { points: 20, reasons: ['order 2', 'order 3'], version: 2 })
    assert.deepEqual(await outbox(database.db), [])
    await database.close()
  })

  test('given a command already applied, when it comes again, then nothing is saved or announced, in the caller’s transaction', async () => {
    const database = await openCards()
    const ctx = contextOf(database)
    const run = (trx?: Trx) =>
      handleCommand(ctx, {
        decider: cardDecider,
        command: earn(30, 'order 1'),
        load: loadCard,
        save: (trx, card, loaded) => saveCard(trx, card, loaded),
        ...(trx && { trx }),
      })
    assert.equal((await run()).kind, 'done')
    const again = await database.transaction((trx) => run(trx))
    assert.deepEqual(again, {
      kind: 'done',
      state: { points: 30, reasons: ['order 1'], version: 1 },
      events: [],
    })
    assert.equal((await outbox(database.db)).length, 1)
    await database.close()
  })
})
