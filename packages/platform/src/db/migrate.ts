import type { Kysely } from 'kysely'
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration'
import type { Database, Dialect } from './database.ts'

/** A migration gets the dialect too, so it can pick column types that suit each database. */
export interface ServiceMigration {
  readonly name: string
  up(db: Kysely<any>, types: ColumnTypes): Promise<void>
}

export interface ColumnTypes {
  readonly dialect: Dialect
  /** An auto-incrementing 64-bit primary key; use with `col.primaryKey()` and, where needed, `autoIncrement`. */
  readonly id: 'bigserial' | 'bigint' | 'integer'
  readonly autoIncrement: boolean
  /** An instant; read it back with `toIso`. */
  readonly timestamp: 'timestamptz' | 'datetime(3)' | 'text'
}

export function columnTypes(dialect: Dialect): ColumnTypes {
  switch (dialect) {
    case 'postgres':
      return { dialect, id: 'bigserial', autoIncrement: false, timestamp: 'timestamptz' }
    case 'mysql':
      return { dialect, id: 'bigint', autoIncrement: true, timestamp: 'datetime(3)' }
    case 'sqlite':
      return { dialect, id: 'integer', autoIncrement: true, timestamp: 'text' }
    default: {
      const exhaustive: never = dialect
      throw new Error(`unknown dialect ${exhaustive}`)
    }
  }
}

/** PostgreSQL and MySQL hand back a Date, SQLite the ISO text it stored. */
export const toIso = (value: Date | string): string =>
  value instanceof Date ? value.toISOString() : new Date(value).toISOString()

/**
 * Runs one set of migrations in order, each in its own bookkeeping table so the platform's
 * tables and a service's tables evolve independently. Concurrent replicas are serialised by
 * Kysely's migration lock.
 */
export async function migrate(database: Database, set: string, migrations: readonly ServiceMigration[]) {
  const types = columnTypes(database.dialect)
  const provider: MigrationProvider = {
    getMigrations: async () =>
      Object.fromEntries(
        migrations.map((m): [string, Migration] => [m.name, { up: (db) => m.up(db, types) }]),
      ),
  }
  const migrator = new Migrator({
    db: database.db,
    provider,
    migrationTableName: `${set}_migration`,
    migrationLockTableName: `${set}_migration_lock`,
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName
    throw new Error(`migration ${set}/${failed ?? '?'} failed on ${database.label}: ${String(error)}`, {
      cause: error,
    })
  }
  return results?.map((r) => r.migrationName) ?? []
}
