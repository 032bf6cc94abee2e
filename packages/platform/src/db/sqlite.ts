import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite'
import type { SqliteDatabase, SqliteStatement } from 'kysely'

export type SqliteSync = 'normal' | 'full'

/**
 * Adapts Node's built-in `node:sqlite` to the interface Kysely's SqliteDialect expects, so
 * embedded mode needs no native addon. Prepared statements are cached per SQL text: Kysely
 * asks for a fresh statement on every query and preparing dominates small queries.
 */
export function openSqlite(
  path: string,
  sync: SqliteSync = 'normal',
  options: { autocheckpointPages?: number } = {},
): SqliteDatabase & { raw: DatabaseSync } {
  const raw = new DatabaseSync(path, { timeout: 5000 })
  // WAL keeps readers off the writer's back; NORMAL survives a killed process, FULL also power loss.
  whenUnlocked(() => raw.exec('pragma journal_mode = wal'))
  raw.exec(`pragma synchronous = ${sync}; pragma foreign_keys = on;
    ${walCheckpointPragma(options.autocheckpointPages)}`)
  const cache = new Map<string, SqliteStatement>()
  return {
    raw,
    close: () => raw.close(),
    prepare(sql) {
      let statement = cache.get(sql)
      if (!statement) {
        statement = adapt(raw.prepare(sql))
        if (cache.size > 500) cache.clear()
        cache.set(sql, statement)
      }
      return statement
    },
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4))

/**
 * Runs a step of opening a database that another thread may be opening at the same instant.
 * SQLite waits for a lock (the busy timeout) except where waiting could deadlock, as when a new
 * file switches to WAL or a reader would become a writer: then it refuses at once, and the step
 * is simply tried again. Only at start-up, where blocking the thread for a moment costs nothing.
 */
export function whenUnlocked<T>(step: () => T, timeoutMs = 5000): T {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return step()
    } catch (error) {
      const locked = error instanceof Error && /database is locked|SQLITE_BUSY/i.test(error.message)
      if (!locked || Date.now() > deadline) throw error
      Atomics.wait(pause, 0, 0, 5)
    }
  }
}

/**
 * How many pages the log may hold before a commit copies them back into the file itself, in
 * line. Where a checkpointer thread does it (see checkpointer.ts), this is only a bound.
 */
export const walCheckpointPragma = (pages: number | undefined) =>
  pages === undefined ? '' : `pragma wal_autocheckpoint = ${pages};`

function adapt(statement: StatementSync): SqliteStatement {
  const bind = (parameters: ReadonlyArray<unknown>) => parameters.map(toSqlite)
  return {
    reader: statement.columns().length > 0,
    all: (parameters) => statement.all(...bind(parameters)),
    run: (parameters) => statement.run(...bind(parameters)),
    iterate: (parameters) => statement.iterate(...bind(parameters)),
  }
}

/** SQLite has no date or boolean type: store instants as ISO-8601 text (sorts correctly) and booleans as 0/1. */
function toSqlite(value: unknown): SQLInputValue {
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'boolean') return value ? 1 : 0
  if (value === undefined) return null
  return value as SQLInputValue
}
