import type { Kysely, Selectable } from 'kysely'
import { toIso } from '../db/migrate.ts'
import type { PlatformTables } from '../db/platform-tables.ts'
import type { Logger } from '../logger.ts'
import { startWorker, type Worker } from '../worker.ts'

/**
 * The dead-letter store as operators and the replay worker see it. Replay is a request written
 * into the service's own database (`cafe dlq replay`), so it works the same in every mode and
 * needs neither the broker nor the service's code: the running service takes the request and
 * replays the letter through its consumer (see `replay` in consumer.ts).
 */
export interface DeadLetter {
  readonly id: number
  readonly consumer: string
  readonly eventId: string
  readonly type: string
  readonly payload: string
  readonly headers: string | null
  readonly error: string
  readonly attempts: number
  readonly failedAt: string
  /** When a replay was asked for and not yet carried out. */
  readonly replayRequestedAt: string | null
}

type Db = Kysely<PlatformTables>

export interface DeadLetterFilter {
  readonly consumer?: string
  readonly replayRequested?: boolean
  readonly limit?: number
}

/** Oldest first, the order they failed in. */
export async function listDeadLetters(db: Db, filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
  let query = db.selectFrom('dead_letter').selectAll().orderBy('id')
  if (filter.consumer !== undefined) query = query.where('consumer', '=', filter.consumer)
  if (filter.replayRequested !== undefined) {
    query = query.where('replay_requested_at', filter.replayRequested ? 'is not' : 'is', null)
  }
  if (filter.limit !== undefined) query = query.limit(filter.limit)
  return (await query.execute()).map(toDeadLetter)
}

export async function countDeadLetters(db: Db, consumer: string): Promise<number> {
  const row = await db
    .selectFrom('dead_letter')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('consumer', '=', consumer)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export async function findDeadLetter(db: Db, id: number): Promise<DeadLetter | undefined> {
  const row = await db.selectFrom('dead_letter').selectAll().where('id', '=', id).executeTakeFirst()
  return row && toDeadLetter(row)
}

/**
 * Marks one letter, or every letter not yet marked, for replay; tells how many were marked (0: no
 * such letter, or nothing left to mark).
 */
export async function requestReplay(db: Db, which: number | 'all', now = new Date()): Promise<number> {
  let query = db.updateTable('dead_letter').set({ replay_requested_at: now })
  query = which === 'all' ? query.where('replay_requested_at', 'is', null) : query.where('id', '=', which)
  const result = await query.executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/**
 * Deletes a letter for good. Its inbox row stays, so a redelivery of the event is still a
 * duplicate: the event counts as handled by being dropped.
 */
export async function dropDeadLetter(db: Db, id: number): Promise<boolean> {
  const result = await db.deleteFrom('dead_letter').where('id', '=', id).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

export type ReplayOutcome = 'replayed' | 'failed' | 'gone'

export interface ReplayWorkerOptions {
  readonly db: Db
  readonly consumer: string
  readonly replay: (letter: DeadLetter) => Promise<ReplayOutcome>
  readonly log: Logger
  readonly pollMs?: number
}

const BATCH = 100

/**
 * Replays the letters marked for this consumer, one at a time. Nobody kicks it (the mark comes
 * from another process), so it polls; a failed replay clears the mark, so the loop ends.
 */
export function startReplayWorker(options: ReplayWorkerOptions): Worker {
  const { db, consumer, replay } = options
  async function drain(): Promise<void> {
    let batch: DeadLetter[]
    do {
      batch = await listDeadLetters(db, { consumer, replayRequested: true, limit: BATCH })
      for (const letter of batch) await replay(letter)
    } while (batch.length === BATCH)
  }
  return startWorker({ name: 'dead-letter replay', drain, pollMs: options.pollMs ?? 1000, log: options.log })
}

function toDeadLetter(row: Selectable<PlatformTables['dead_letter']>): DeadLetter {
  return {
    id: Number(row.id),
    consumer: row.consumer,
    eventId: row.event_id,
    type: row.type,
    payload: row.payload,
    headers: row.headers,
    error: row.error,
    attempts: Number(row.attempts),
    failedAt: toIso(row.failed_at),
    replayRequestedAt: row.replay_requested_at === null ? null : toIso(row.replay_requested_at),
  }
}
