import type { Kysely, Selectable } from 'kysely'
import {
  type Bus,
  exponentialRetry,
  MessageRefused,
  type OutgoingMessage,
  PublishIncomplete,
} from '../bus/port.ts'
import type { Database } from '../db/database.ts'
import type { PlatformTables } from '../db/platform-tables.ts'
import type { Logger } from '../logger.ts'
import { startWorker } from '../worker.ts'
import { setAside } from './outbox-dead-letters.ts'

export interface RelayOptions {
  readonly database: Database<PlatformTables>
  readonly bus: Bus
  readonly log: Logger
  readonly batchSize?: number
  /** Safety net for rows a crashed process or another replica left behind. */
  readonly pollMs?: number
  /** Refusals of one row by the bus before it is set aside as an outbox dead letter. */
  readonly maxAttempts?: number
  /** How long a refused row waits before the bus is asked again, by its count of refusals. */
  readonly retryDelay?: (attempt: number) => number
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

type Row = Pick<
  Selectable<PlatformTables['outbox']>,
  'id' | 'event_id' | 'type' | 'payload' | 'headers' | 'created_at' | 'attempts'
>
type Db = Kysely<PlatformTables>

/**
 * Publishes outbox rows after commit and deletes them once the bus has stored them. A crash
 * between publish and delete publishes a row again, which the bus dedupes by event id. Replicas
 * on PostgreSQL/MariaDB split the rows with SKIP LOCKED instead of publishing each other's; only
 * the rows taken are locked while the bus stores them.
 *
 * A row the bus refuses (it will never store it as it is: too large, say) waits with backoff
 * while the rows behind it flow, and after `maxAttempts` refusals is set aside as an outbox dead
 * letter (see outbox-dead-letters.ts). A broker that is away refuses nothing: its rows stay, in
 * order, and are tried again at the next kick or poll, for as long as it takes.
 */
export function startRelay(options: RelayOptions): Relay {
  const { database, bus, log } = options
  const batchSize = options.batchSize ?? 256
  const maxAttempts = options.maxAttempts ?? 8
  const retryDelay = options.retryDelay ?? exponentialRetry()
  const lockRows = database.dialect !== 'sqlite'

  /** The oldest rows not waiting out a refusal; locked where other replicas may look too. */
  function due(db: Db): Promise<Row[]> {
    const now = new Date()
    let query = db
      .selectFrom('outbox')
      .select(['id', 'event_id', 'type', 'payload', 'headers', 'created_at', 'attempts'])
      .where((eb) => eb.or([eb('retry_at', 'is', null), eb('retry_at', '<=', now)]))
      .orderBy('id')
      .limit(batchSize)
    if (lockRows) query = query.forUpdate().skipLocked()
    return query.execute()
  }

  /**
   * Publishes one batch and records what became of each row through `write`. Resolves with the
   * rows taken and the failure the caller must rethrow (after its commit) when some rows were
   * neither stored nor refused.
   */
  async function publishBatch(db: Db, write: (work: (trx: Db) => Promise<void>) => Promise<void>) {
    const rows = await due(db)
    if (rows.length === 0) return { taken: 0 }
    const failure = await bus.publish(rows.map(toMessage)).then(
      () => undefined,
      (error: unknown) => error ?? new Error('publish failed'),
    )
    const { stored, refused } = outcomes(rows, failure)
    if (stored.length > 0 || refused.size > 0) {
      await write(async (trx) => {
        const ids = stored.map((r) => r.id)
        if (ids.length > 0) await trx.deleteFrom('outbox').where('id', 'in', ids).execute()
        for (const [row, refusal] of refused) await refuse(trx, row, refusal)
      })
    }
    if (stored.length > 0) options.published?.(stored)
    const unsettled = rows.length - stored.length - refused.size
    return { taken: rows.length, failure: unsettled > 0 ? failure : undefined }
  }

  async function refuse(trx: Db, row: Row, refusal: MessageRefused): Promise<void> {
    const attempts = Number(row.attempts) + 1
    const context = { eventId: row.event_id, type: row.type, attempts, error: refusal.message }
    if (attempts >= maxAttempts) {
      await setAside(trx, row, { error: refusal.message, attempts, at: new Date() })
      log.error(context, 'the bus keeps refusing an outbox event: set aside as a dead letter (see cafe dlq)')
      return
    }
    const retryAt = new Date(Date.now() + retryDelay(attempts))
    await trx.updateTable('outbox').set({ attempts, retry_at: retryAt }).where('id', '=', row.id).execute()
    log.warn(context, 'the bus refused an outbox event; the events behind it go on')
  }

  async function drain(): Promise<void> {
    let batch: { taken: number; failure?: unknown }
    do {
      batch = lockRows
        ? // Read committed: MariaDB's default, repeatable read, would also lock the gap after the
          // last row, and every insert into the outbox (each of the service's own transactions that
          // emits an event) would wait for the publish, which a slow broker stretches to seconds.
          await database.db
            .transaction()
            .setIsolationLevel('read committed')
            .execute((trx) => publishBatch(trx, (work) => work(trx)))
        : // SQLite has one writer: holding a transaction across the publish would stall the
          // service; the rows are settled afterwards in a commit shared with its transactions.
          await publishBatch(database.db, (work) => database.transaction(work))
      // Thrown only now, so the rows stored or refused before it are committed as such.
      if (batch.failure !== undefined) throw batch.failure
    } while (batch.taken === batchSize)
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

const toMessage = (r: Row): OutgoingMessage => ({
  id: r.event_id,
  type: r.type,
  payload: r.payload,
  ...(r.headers ? { headers: JSON.parse(r.headers) as Record<string, string> } : {}),
})

/** Which rows the bus stored and which it refused, from the way its publish ended. */
function outcomes(rows: readonly Row[], failure: unknown) {
  if (failure === undefined) return { stored: rows, refused: new Map<Row, MessageRefused>() }
  const errors = failure instanceof PublishIncomplete ? failure.errors : [failure]
  const refusals = new Map<string, MessageRefused>()
  for (const error of errors) if (error instanceof MessageRefused) refusals.set(error.messageId, error)
  const storedIds = new Set(failure instanceof PublishIncomplete ? failure.stored : [])
  const refused = new Map<Row, MessageRefused>()
  for (const row of rows) {
    const refusal = refusals.get(row.event_id)
    if (refusal) refused.set(row, refusal)
  }
  return { stored: rows.filter((r) => storedIds.has(r.event_id)), refused }
}
