import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { openDatabase } from './database.ts'
import { prepared } from './prepared.ts'

interface Tables {
  item: { id: number; kind: string; size: number }
}

async function openItems() {
  const database = await openDatabase<Tables>('sqlite::memory:')
  await sql`create table item (id integer primary key, kind text not null, size integer not null)`.execute(
    database.db,
  )
  return database
}

test('Given a prepared statement, when it runs with new values on two databases, then each is built once and every run sees its own values', async () => {
  const first = await openItems()
  const second = await openItems()
  let builds = 0
  const insert = prepared<Tables, { id: number; size: number }, never>((db, $) => {
    builds++
    // 'cup' is a constant of the statement, not a placeholder: it stays as built.
    return db.insertInto('item').values({ id: $('id'), kind: 'cup', size: $('size') })
  })
  const bigger = prepared<Tables, { size: number }, { id: number; kind: string }>((db, $) => {
    builds++
    return db.selectFrom('item').select(['id', 'kind']).where('size', '>', $('size')).orderBy('id')
  })

  for (const [id, size] of [
    [1, 200],
    [2, 350],
    [3, 500],
  ] as const) {
    assert.equal(await insert.affected(first.db, { id, size }), 1)
  }
  await insert.execute(second.db, { id: 9, size: 1000 })

  // node:sqlite rows have no prototype; compare plain copies.
  const plain = <T>(rows: T) => JSON.parse(JSON.stringify(rows)) as T
  assert.deepEqual(plain(await bigger.all(first.db, { size: 300 })), [
    { id: 2, kind: 'cup' },
    { id: 3, kind: 'cup' },
  ])
  assert.deepEqual(plain(await bigger.first(first.db, { size: 400 })), { id: 3, kind: 'cup' })
  assert.equal(await bigger.first(first.db, { size: 600 }), undefined)
  assert.deepEqual(plain(await bigger.all(second.db, { size: 0 })), [{ id: 9, kind: 'cup' }])
  await first.transaction(async (trx) => {
    assert.equal(
      (await bigger.all(trx, { size: 0 })).length,
      3,
      'a transaction shares its database statements',
    )
  })
  assert.equal(builds, 4, 'two statements, each built once per database')
  await first.close()
  await second.close()
})

test('Given a prepared statement, when a value is missing, then it refuses to run', async () => {
  const database = await openItems()
  const find = prepared<Tables, { id: number }, { id: number }>((db, $) =>
    db.selectFrom('item').select('id').where('id', '=', $('id')),
  )
  await assert.rejects(find.all(database.db, {} as { id: number }), /no value for 'id'/)
  await database.close()
})
