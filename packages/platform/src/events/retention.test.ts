import assert from 'node:assert/strict'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { test } from 'node:test'
import { openLocalBus } from '../bus/local.ts'
import { openDatabase } from '../db/database.ts'
import { migrate } from '../db/migrate.ts'
import { type PlatformTables, platformMigrations } from '../db/platform-tables.ts'
import { tempDir, waitFor } from '../testing/index.ts'
import { forgetProcessedBefore } from './retention.ts'

test('inbox entries older than the retention are forgotten, newer ones kept', async () => {
  const database = await openDatabase<PlatformTables>('sqlite::memory:')
  await migrate(database, 'platform', platformMigrations)
  const day = 86_400_000
  await database.db
    .insertInto('inbox')
    .values([
      { consumer: 'drink', event_id: 'old', processed_at: new Date(Date.now() - 9 * day) },
      { consumer: 'drink', event_id: 'new', processed_at: new Date() },
    ])
    .execute()
  assert.equal(await forgetProcessedBefore(database.db, new Date(Date.now() - 8 * day)), 1)
  const left = await database.db.selectFrom('inbox').select('event_id').execute()
  assert.deepEqual(
    left.map((r) => r.event_id),
    ['new'],
  )
  await database.close()
})

test('the local log drops messages past the retention once every consumer has passed them', async () => {
  await using dir = await tempDir('cafe-trim-')
  const path = join(dir.path, 'bus.db')
  const bus = openLocalBus({ path, retentionMs: 1, trimEveryMs: 20, cursorFlushMs: 10 })
  const seen: string[] = []
  const subscription = bus.consume('reader', async (m) => {
    seen.push(m.id)
  })
  await bus.publish(['a', 'b', 'c'].map((id) => ({ id, type: 'Ordered', payload: '{}' })))
  await waitFor(async () => seen.length === 3)
  const count = () => {
    const db = new DatabaseSync(path)
    try {
      return (db.prepare('select count(*) as n from message').get() as { n: number }).n
    } finally {
      db.close()
    }
  }
  await waitFor(async () => count() === 0, 3000, { what: 'the trim' })
  await subscription.stop()
  await bus.close()
})
