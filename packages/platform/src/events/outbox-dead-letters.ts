import type { Kysely, Selectable } from 'kysely'
import { toIso } from '../db/migrate.ts'
import type { PlatformTables } from '../db/platform-tables.ts'

/**
 * Outbox rows the bus refused `maxAttempts` times (see relay.ts), kept with the bus's reason so
 * the rows behind them could flow. Unlike a consumer's dead letter, the event was never
 * published: putting it back in the outbox (`cafe dlq replay`) is the whole replay, which the
 * relay of any running replica then publishes; dropping it means no consumer ever sees it.
 */
export interface OutboxLetter {
  readonly id: number
  readonly eventId: string
  readonly type: string
  readonly payload: string
  readonly headers: string | null
  readonly error: string
  readonly attempts: number
  /** When the event entered the outbox, committed with its state change. */
  readonly createdAt: string
  readonly failedAt: string
}

type Db = Kysely<PlatformTables>

/** The relay's part, in its transaction: the row leaves the outbox and becomes a letter. */
export async function setAside(
  trx: Db,
  row: Pick<
    Selectable<PlatformTables['outbox']>,
    'id' | 'event_id' | 'type' | 'payload' | 'headers' | 'created_at'
  >,
  failure: { error: string; attempts: number; at: Date },
): Promise<void> {
  const taken = await trx.deleteFrom('outbox').where('id', '=', row.id).executeTakeFirst()
  // Another relay published it first (possible only where rows are not locked): nothing to set aside.
  if (Number(taken.numDeletedRows) === 0) return
  await trx
    .insertInto('outbox_dead_letter')
    .values({
      event_id: row.event_id,
      type: row.type,
      payload: row.payload,
      headers: row.headers,
      error: failure.error.slice(0, 4000),
      attempts: failure.attempts,
      created_at: row.created_at,
      failed_at: failure.at,
    })
    .execute()
}

/** Oldest first, the order they were set aside in. */
export async function listOutboxLetters(db: Db, filter: { limit?: number } = {}): Promise<OutboxLetter[]> {
  let query = db.selectFrom('outbox_dead_letter').selectAll().orderBy('id')
  if (filter.limit !== undefined) query = query.limit(filter.limit)
  return (await query.execute()).map(toLetter)
}

export async function countOutboxLetters(db: Db): Promise<number> {
  const row = await db
    .selectFrom('outbox_dead_letter')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export async function findOutboxLetter(db: Db, id: number): Promise<OutboxLetter | undefined> {
  const row = await db.selectFrom('outbox_dead_letter').selectAll().where('id', '=', id).executeTakeFirst()
  return row && toLetter(row)
}

/**
 * Puts one letter, or all, back into the outbox as new rows with a fresh count of attempts; tells
 * how many. The running relay publishes them at its next poll, or sets them aside again if the bus
 * still refuses them. Each letter is deleted before its row is written, in one transaction, so two
 * operators asking at once requeue it once.
 */
export async function requeueOutboxLetter(db: Db, which: number | 'all', now = new Date()): Promise<number> {
  return db.transaction().execute(async (trx) => {
    let query = trx.selectFrom('outbox_dead_letter').selectAll().orderBy('id')
    if (which !== 'all') query = query.where('id', '=', which)
    let requeued = 0
    for (const letter of await query.execute()) {
      const taken = await trx.deleteFrom('outbox_dead_letter').where('id', '=', letter.id).executeTakeFirst()
      if (Number(taken.numDeletedRows) === 0) continue
      await trx
        .insertInto('outbox')
        .values({
          event_id: letter.event_id,
          type: letter.type,
          payload: letter.payload,
          headers: letter.headers,
          created_at: now,
        })
        .execute()
      requeued++
    }
    return requeued
  })
}

/** Deletes a letter for good: its event is never published. */
export async function dropOutboxLetter(db: Db, id: number): Promise<boolean> {
  const result = await db.deleteFrom('outbox_dead_letter').where('id', '=', id).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

function toLetter(row: Selectable<PlatformTables['outbox_dead_letter']>): OutboxLetter {
  return {
    id: Number(row.id),
    eventId: row.event_id,
    type: row.type,
    payload: row.payload,
    headers: row.headers,
    error: row.error,
    attempts: Number(row.attempts),
    createdAt: toIso(row.created_at),
    failedAt: toIso(row.failed_at),
  }
}
