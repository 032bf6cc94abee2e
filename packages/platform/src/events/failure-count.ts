import { type Kysely, sql } from 'kysely'
import type { Dialect } from '../db/database.ts'
import type { PlatformTables } from '../db/platform-tables.ts'

type Db = Kysely<PlatformTables>

/**
 * Counts one more poison failure of an event by a consumer and tells how many there were. Kept in
 * the database rather than read from the bus's delivery count: that count also grows with every
 * transient failure (a long database outage would leave an event one poison failure from the dead
 * letters) and may start again from 1 after a crash.
 */
export async function countFailure(
  db: Db,
  dialect: Dialect,
  key: { consumer: string; eventId: string },
  now = new Date(),
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const insert = trx
      .insertInto('consumer_failure')
      .values({ consumer: key.consumer, event_id: key.eventId, failures: 1, failed_at: now })
    await (dialect === 'mysql'
      ? insert.onDuplicateKeyUpdate({ failures: sql`failures + 1`, failed_at: now })
      : insert.onConflict((oc) =>
          oc
            .columns(['consumer', 'event_id'])
            .doUpdateSet((eb) => ({ failures: eb('consumer_failure.failures', '+', 1), failed_at: now })),
        )
    ).execute()
    const row = await trx
      .selectFrom('consumer_failure')
      .select('failures')
      .where('consumer', '=', key.consumer)
      .where('event_id', '=', key.eventId)
      .executeTakeFirstOrThrow()
    return Number(row.failures)
  })
}

/** Forgets an event's failures once it was handled or dead-lettered, in that transaction. */
export async function forgetFailures(trx: Db, key: { consumer: string; eventId: string }): Promise<void> {
  await trx
    .deleteFrom('consumer_failure')
    .where('consumer', '=', key.consumer)
    .where('event_id', '=', key.eventId)
    .execute()
}
