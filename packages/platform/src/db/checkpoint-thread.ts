import { DatabaseSync } from 'node:sqlite'
import { parentPort, workerData } from 'node:worker_threads'

/** See checkpointer.ts. */
const { files, everyMs } = workerData as { files: string[]; everyMs: number }
const port = parentPort
if (!port) throw new Error('checkpoint-thread.ts runs only as a worker thread')

const databases = files.map((file) => {
  const db = new DatabaseSync(file)
  // A checkpoint waits for no one: a busy database is simply taken on the next round.
  db.exec('pragma busy_timeout = 0')
  return db
})
const checkpoint = () => {
  for (const db of databases) {
    try {
      db.exec('pragma wal_checkpoint(passive)')
    } catch {
      // Busy or locked: the next round, or the writer's own automatic checkpoint, gets it.
    }
  }
}
const timer = setInterval(checkpoint, everyMs)
port.on('message', () => {
  clearInterval(timer)
  for (const db of databases) db.close()
  port.close()
})
