import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { test } from 'node:test'
import { tempDir, waitFor } from '../testing/index.ts'
import { startCheckpointer } from './checkpointer.ts'

test('Given commits that stay in the write-ahead log, when the checkpointer runs, then their pages reach the database file without the writer checkpointing', async () => {
  await using dir = await tempDir('cafe-checkpoint-')
  const path = join(dir.path, 'data.db')
  const writer = new DatabaseSync(path)
  // The writer never checkpoints itself here, so only the checkpointer can move the pages.
  writer.exec('pragma journal_mode = wal; pragma wal_autocheckpoint = 0; create table t (v text)')
  const insert = writer.prepare('insert into t (v) values (?)')
  for (let i = 0; i < 200; i++) insert.run('x'.repeat(1000))
  const before = statSync(path).size

  const checkpointer = startCheckpointer([path], 20)
  try {
    await waitFor(async () => statSync(path).size > before + 100_000, 10_000, {
      what: 'the pages to reach the file',
    })
    // The writer goes on committing meanwhile: a passive checkpoint does not lock it out.
    insert.run('after')
    assert.equal((writer.prepare('select count(*) as n from t').get() as { n: number }).n, 201)
  } finally {
    await checkpointer.stop()
    writer.close()
  }
})
