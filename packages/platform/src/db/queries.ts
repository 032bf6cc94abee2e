import type { Insertable, Kysely } from 'kysely'
import type { Dialect } from './database.ts'

/**
 * The few statements whose SQL differs between PostgreSQL, MariaDB and SQLite, written once.
 */

/** Inserts one row and returns its generated `id` (MariaDB reports it, the others return it). */
export async function insertReturningId<DB, T extends keyof DB & string>(
  db: Kysely<DB>,
  dialect: Dialect,
  table: T,
  values: Insertable<DB[T]>,
): Promise<number> {
  const query = (db as unknown as Kysely<any>).insertInto(table).values(values as never)
  if (dialect === 'mysql') return Number((await query.executeTakeFirstOrThrow()).insertId)
  const row = await query.returning('id').executeTakeFirstOrThrow()
  return Number(row.id)
}

/** Inserts one row unless its key exists; tells whether it was inserted. */
export async function insertIfAbsent<DB, T extends keyof DB & string>(
  db: Kysely<DB>,
  dialect: Dialect,
  table: T,
  values: Insertable<DB[T]>,
): Promise<boolean> {
  const builder = (db as unknown as Kysely<any>).insertInto(table)
  const query =
    dialect === 'mysql'
      ? builder.ignore().values(values as never)
      : builder.values(values as never).onConflict((oc) => oc.doNothing())
  const result = await query.executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
}
