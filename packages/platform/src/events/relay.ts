import type { Kysely } from 'kysely'
import type { Bus } from '../bus/port.ts'
import type { Database } from '../db/database.ts'
import type { PlatformTables } from '../db/platform-tables.ts'
import type { Logger } from '../logger.ts'
import { startWorker } from '../worker.ts'

export interface RelayOptions {
  readonly database: Database<PlatformTables>
  readonly bus: Bus
  readonly log: Logger
  readonly batchSize?: number
  /** Safety net for rows a crashed process or another replica left behind. */
  readonly pollMs?: number
  /** Told of every batch the bus stored (for metrics). */
  readonly published?: (rows: readonly { readonly type: string }[]) => void
}

export interface Relay {
  /** Called after a commit that wrote outbox rows: publish them now rather than at the next poll. */
  kick(): void
  /** Publishes everything committed so far. */
  flush(): Promise<void>
  backlog(): Promise<{ count: number; oldestAgeMs: number }>
  stop(): Promise<void>
}

/**
 * Publishes outbox rows after commit and deletes them once the bus has stored them. A crash
 * between publish and delete publishes a row again, which the bus dedupes by event id. Replicas
 * on PostgreSQL/MariaDB split the rows with SKIP LOCKED instead of publishing each other's; only
 * the rows taken are locked while the bus stores them.
 */
export function startRelay(options: RelayOptions): Relay {
  const { database, bus, log } = options
  const batchSize = options.batchSize ?? 256
  const lockRows = database.dialect !== 'sqlite'
  async function publishBatch(db: Kysely<PlatformTables>): Promise<number> {
    let query = db
      .selectFrom('outbox')
      .select(['id', 'event_id', 'type', 'payload', 'headers'])
      .orderBy('id')
      .limit(batchSize)
    if (lockRows) query = query.forUpdate().skipLocked()
    const rows = await query.execute()
    if (rows.length === 0) return 0
    await bus.publish(
      rows.map((r) => ({
        id: r.event_id,
        type: r.type,
        payload: r.payload,
        ...(r.headers ? { headers: JSON.parse(r.headers) as Record<string, string> } : {}),
      })),
    )
    options.published?.(rows)
    const ids = rows.map((r) => r.id)
    const remove = (trx: Kysely<PlatformTables>) => trx.deleteFrom('outbox').where('id', 'in', ids).execute()
    // SQLite: not a commit of its own, but one shared with the service's transactions meanwhile.
    await (lockRows ? remove(db) : database.transaction(remove))
    return rows.length
  }

  async function drain(): Promise<void> {
    let published: number
    do {
      published = lockRows
        ? // Read committed: MariaDB's default, repeatable read, would also lock the gap after the
          // last row, and every insert into the outbox (each of the service's own transactions that
          // emits an event) would wait for the publish, which a slow broker stretches to seconds.
          await database.db
            .transaction()
            .setIsolationLevel('read committed')
            .execute((trx) => publishBatch(trx))
        : // SQLite has one writer: holding a transaction across the publish would stall the service.
          await publishBatch(database.db)
    } while (published === batchSize)
  }

  const worker = startWorker({ name: 'outbox relay', drain, pollMs: options.pollMs ?? 1000, log })

  return {
    kick: worker.kick,
    async flush() {
      await worker.idle()
      await drain()
    },
    async backlog() {
      const row = await database.db
        .selectFrom('outbox')
        .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.min('created_at').as('oldest')])
        .executeTakeFirstOrThrow()
      const oldest = row.oldest ? new Date(row.oldest as Date | string).getTime() : Date.now()
      return { count: Number(row.count), oldestAgeMs: Date.now() - oldest }
    },
    stop: worker.stop,
  }
}
