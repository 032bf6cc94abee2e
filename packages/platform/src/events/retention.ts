import type { Kysely } from 'kysely'
import type { PlatformTables } from '../db/platform-tables.ts'
import type { Logger } from '../logger.ts'
import { startWorker, type Worker } from '../worker.ts'

/**
 * Forgets inbox entries older than the retention. An event can only come back while the broker
 * still holds it (the JetStream stream and the local log keep seven days), so a longer memory of
 * processed ids protects nothing and only grows the table.
 */
export async function forgetProcessedBefore(db: Kysely<PlatformTables>, before: Date): Promise<number> {
  const result = await db.deleteFrom('inbox').where('processed_at', '<', before).executeTakeFirst()
  // Failures of an event that was then handled under a reset delivery count (see failure-count.ts).
  await db.deleteFrom('consumer_failure').where('failed_at', '<', before).execute()
  return Number(result.numDeletedRows)
}

export function startInboxRetention(options: {
  db: Kysely<PlatformTables>
  retentionMs: number
  log: Logger
}): Worker {
  const worker = startWorker({
    name: 'inbox retention',
    pollMs: Math.min(3_600_000, options.retentionMs),
    log: options.log,
    drain: async () => {
      const forgotten = await forgetProcessedBefore(options.db, new Date(Date.now() - options.retentionMs))
      if (forgotten > 0) options.log.info({ forgotten }, 'forgot old inbox entries')
    },
  })
  worker.kick()
  return worker
}
