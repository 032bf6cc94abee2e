import { type Insertable, type Kysely, type RawBuilder, sql } from 'kysely'
import type { Dialect } from './database.ts'
import { prepared } from './prepared.ts'

/**
 * The few statements whose SQL differs between PostgreSQL, MariaDB and SQLite, written once and
 * prepared per table and set of columns (see prepared.ts): the inbox, outbox and the services'
 * inserts run on every event.
 */

type Statement = ReturnType<typeof prepared<any, Record<string, unknown>, any>>
const statements = new Map<string, Statement>()

function statementFor(kind: 'id' | 'ifAbsent', table: string, columns: readonly string[]): Statement {
  const key = `${kind}:${table}:${columns.join(',')}`
  let statement = statements.get(key)
  if (!statement) {
    statement = prepared<any, Record<string, unknown>, any>((db, $, dialect) => {
      const values = Object.fromEntries(columns.map((column) => [column, $(column)]))
      const builder = db.insertInto(table)
      if (kind === 'id')
        return dialect === 'mysql' ? builder.values(values) : builder.values(values).returning('id')
      return dialect === 'mysql'
        ? builder.ignore().values(values)
        : builder.values(values).onConflict((oc) => oc.doNothing())
    })
    statements.set(key, statement)
  }
  return statement
}

/** The columns given a value; an undefined one is left to its default, as Kysely would. */
const defined = (values: object) =>
  Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined))

/** Inserts one row and returns its generated `id` (MariaDB reports it, the others return it). */
export async function insertReturningId<DB, T extends keyof DB & string>(
  db: Kysely<DB>,
  dialect: Dialect,
  table: T,
  values: Insertable<DB[T]>,
): Promise<number> {
  const row = defined(values)
  const result = await statementFor('id', table, Object.keys(row)).execute(db as Kysely<any>, row)
  if (dialect === 'mysql') return Number(result.insertId)
  const id = (result.rows[0] as { id?: unknown } | undefined)?.id
  if (id === undefined) throw new Error(`insert into ${table} returned no id`)
  return Number(id)
}

/** Inserts one row unless its key exists; tells whether it was inserted. */
export async function insertIfAbsent<DB, T extends keyof DB & string>(
  db: Kysely<DB>,
  _dialect: Dialect,
  table: T,
  values: Insertable<DB[T]>,
): Promise<boolean> {
  const row = defined(values)
  return (await statementFor('ifAbsent', table, Object.keys(row)).affected(db as Kysely<any>, row)) > 0
}

/**
 * The database's clock, `agoMs` back, to store in a timestamp column (see `columnTypes`) or to
 * compare one with: every replica then stamps and judges ages on one clock, whatever its own
 * says. Each dialect in the format its timestamp columns hold: SQLite's text is ISO 8601 in UTC
 * with milliseconds, as `Date.toISOString()` writes it; MariaDB's `datetime(3)` holds UTC.
 */
export function databaseTime(dialect: Dialect, agoMs = 0): RawBuilder<Date | string> {
  switch (dialect) {
    case 'postgres':
      return agoMs === 0 ? sql`now()` : sql`(now() - ${agoMs} * interval '1 millisecond')`
    case 'mysql':
      return agoMs === 0
        ? sql`utc_timestamp(3)`
        : sql`(utc_timestamp(3) - interval ${agoMs * 1000} microsecond)`
    case 'sqlite':
      return agoMs === 0
        ? sql`strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`
        : sql`strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ${`-${agoMs / 1000} seconds`})`
    default: {
      const exhaustive: never = dialect
      throw new Error(`unknown dialect ${exhaustive}`)
    }
  }
}
