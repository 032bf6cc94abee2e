import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { test } from 'node:test'
import { sql } from 'kysely'
import { tempDir } from '../testing/index.ts'
import { openDatabase } from './database.ts'
import { afterCommit } from './transaction.ts'

interface Tables {
  item: { id: string }
}

async function openItems(path: string) {
  const database = await openDatabase<Tables>(`sqlite:${path}`)
  await sql`create table item (id text primary key)`.execute(database.db)
  return database
}

test('Given concurrent SQLite transactions, when one fails, then it alone rolls back, the rest share a commit, and each caller learns its outcome after it', async () => {
  await using dir = await tempDir('cafe-group-')
  const path = join(dir.path, 'items.db')
  const database = await openItems(path)
  const other = new DatabaseSync(path)
  const committed = (id: string) => other.prepare('select 1 from item where id = ?').get(id) !== undefined
  const reactions: string[] = []
  const walBytes = () => statSync(`${path}-wal`).size
  const before = walBytes()

  const outcomes = await Promise.allSettled(
    Array.from({ length: 20 }, (_, i) =>
      database.transaction(async (trx) => {
        await trx
          .insertInto('item')
          .values({ id: `item-${i}` })
          .execute()
        afterCommit(trx, () => reactions.push(`item-${i}`))
        if (i === 7) throw new Error('item 7 refused')
        // Seen by another connection when the caller hears of it: committed, not just written.
        return `item-${i}`
      }),
    ),
  )

  outcomes.forEach((outcome, i) => {
    if (i === 7) {
      assert.equal(outcome.status, 'rejected')
      assert.match(String((outcome as PromiseRejectedResult).reason), /item 7 refused/)
    } else {
      assert.deepEqual(outcome, { status: 'fulfilled', value: `item-${i}` })
      assert.ok(committed(`item-${i}`), `item-${i} committed`)
    }
  })
  assert.equal(committed('item-7'), false, 'the failed work left nothing')
  // Each commit appends at least one page (4 KiB and a 24-byte header) to the write-ahead log;
  // twenty commits would append twenty or more.
  const frames = (walBytes() - before) / (4096 + 24)
  assert.ok(frames <= 6, `${frames} pages written to the log for 20 transactions`)
  assert.equal(reactions.length, 19)
  assert.ok(!reactions.includes('item-7'), 'no reaction for the work that rolled back')
  other.close()
  await database.close()
})

test('Given a work that breaks a constraint, when others share its transaction, then their rows survive and its error reaches only its caller', async () => {
  await using dir = await tempDir('cafe-group-')
  const database = await openItems(join(dir.path, 'items.db'))
  await database.db.insertInto('item').values({ id: 'taken' }).execute()

  const [first, clash, last] = await Promise.allSettled([
    database.transaction((trx) => trx.insertInto('item').values({ id: 'first' }).execute()),
    database.transaction(async (trx) => {
      await trx.insertInto('item').values({ id: 'half' }).execute()
      await trx.insertInto('item').values({ id: 'taken' }).execute()
    }),
    database.transaction((trx) => trx.insertInto('item').values({ id: 'last' }).execute()),
  ])

  assert.equal(first?.status, 'fulfilled')
  assert.equal(last?.status, 'fulfilled')
  assert.equal(clash?.status, 'rejected')
  assert.match(String((clash as PromiseRejectedResult).reason), /UNIQUE/)
  const ids = await database.db.selectFrom('item').select('id').orderBy('id').execute()
  assert.deepEqual(
    ids.map((r) => r.id),
    ['first', 'last', 'taken'],
    'the clashing work rolled back whole, its first insert included',
  )
  await database.close()
})

test('Given transactions that keep arriving while others run, when they are worked off, then the event loop turns between batches', async () => {
  await using dir = await tempDir('cafe-group-turns-')
  const database = await openItems(join(dir.path, 'items.db'))
  const order: string[] = []
  // The first transaction queues the second while it runs, so they go in separate batches; a
  // request arriving meanwhile, like this immediate, is served between them.
  let second: Promise<void> | undefined
  await database.transaction(async (trx) => {
    setImmediate(() => order.push('turn'))
    second = database.transaction(async (next) => {
      order.push('second batch')
      await next.insertInto('item').values({ id: 'b' }).execute()
    })
    await trx.insertInto('item').values({ id: 'a' }).execute()
  })
  await second
  assert.deepEqual(order, ['turn', 'second batch'])
  await database.close()
})
