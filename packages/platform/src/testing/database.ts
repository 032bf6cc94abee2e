import { join } from 'node:path'
import { sql } from 'kysely'
import { openDatabase } from '../db/database.ts'
import { tempDir, uniqueName, waitFor } from './basics.ts'

/** Where a test's database lives: SQLite in a file of its own, or a fresh database on a shared server. */
export type Storage = 'sqlite' | 'postgres' | 'mysql'
export const storages: readonly Storage[] = ['sqlite', 'postgres', 'mysql']

/** The shared servers the suites use; each test creates and drops its own databases on them. */
export const TEST_SERVERS = {
  postgres: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432',
  mysql: process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
} as const

export interface TestDatabase extends AsyncDisposable {
  readonly storage: Storage
  /** Unique across test runs, so concurrent suites on one server never meet. */
  readonly name: string
  /** A database URL as the services take it; the first `openDatabase` on it creates the database. */
  readonly url: string
  /** Drops the database (SQLite: deletes its directory) once every pool on it has been closed. */
  drop(): Promise<void>
}

/**
 * A throwaway database of `storage`. Close every pool on it before `drop()` (or the end of an
 * `await using` block): the drop waits for their sessions to go rather than cutting them off.
 */
export async function testDatabase(
  storage: Storage,
  { prefix }: { /** Starts the name, to tell whose a leftover is. */ prefix?: string } = {},
): Promise<TestDatabase> {
  const name = uniqueName(prefix)
  if (storage === 'sqlite') {
    const dir = await tempDir('cafe-db-')
    return {
      storage,
      name,
      url: `sqlite:${join(dir.path, `${name}.db`)}`,
      drop: dir.remove,
      [Symbol.asyncDispose]: dir.remove,
    }
  }
  let dropped: Promise<void> | undefined
  const drop = () => {
    dropped ??= dropDatabase(storage, name)
    return dropped
  }
  return { storage, name, url: `${TEST_SERVERS[storage]}/${name}`, drop, [Symbol.asyncDispose]: drop }
}

/**
 * Not PostgreSQL's `with (force)`: the closed pools' sessions may still be exiting, and killing one
 * makes its client raise an error in this process. So ask again while the server says "in use".
 */
async function dropDatabase(storage: Exclude<Storage, 'sqlite'>, name: string): Promise<void> {
  const admin = await openDatabase(`${TEST_SERVERS[storage]}/${storage === 'postgres' ? 'postgres' : ''}`, {
    create: false,
    poolSize: 1,
  })
  try {
    await waitFor(
      () =>
        sql`drop database if exists ${sql.id(name)}`.execute(admin.db).then(
          () => true,
          (error: { code?: string }) => {
            if (error.code !== '55006') throw error
            return false
          },
        ),
      10_000,
      { what: `database ${name} to be free to drop`, intervalMs: 25 },
    )
  } finally {
    await admin.close()
  }
}
