import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import {
  configReader,
  type Database,
  dialectOf,
  type Env,
  migrate,
  openDatabase,
  type PlatformTables,
  platformMigrations,
  redact,
} from '@cafeteria/platform'
import { findService } from '../services.ts'
import type { Where } from './args.ts'

/** One service's dead-letter table, opened straight from its database. */
export interface Store {
  readonly service: string
  readonly db: Database<PlatformTables>['db']
  close(): Promise<void>
}

/** A service's database that is not there (`missing`: never started with these settings) or not reachable. */
export class StoreUnavailable extends Error {
  readonly missing: boolean
  constructor(message: string, missing = false) {
    super(message)
    this.missing = missing
  }
}

/** The URL the service itself would use in that mode: `<SERVICE>_DATABASE_URL`, else the mode's default. */
export function databaseUrlOf(service: string, where: Where, env: Env): string {
  const entry = findService(service)
  // The gateway keeps no data, so no dead letters either.
  if (!entry?.distributedDatabase) throw new Error(`unknown service '${service}'`)
  const fallback = where.distributed
    ? entry.distributedDatabase
    : `sqlite:${join(resolve(where.dataDir), `${service}.db`)}`
  return configReader(env).string(`${service.toUpperCase()}_DATABASE_URL`, fallback)
}

/**
 * Opens a service's database without creating it, whether or not the service runs (SQLite in WAL
 * mode takes a second process), and brings its platform tables up to date: a letter recorded
 * before replay existed can be marked too.
 */
export async function openStore(service: string, where: Where, env: Env): Promise<Store> {
  const url = databaseUrlOf(service, where, env)
  if (dialectOf(url) === 'sqlite') {
    const path = url.slice('sqlite:'.length)
    if (path === ':memory:' || !existsSync(path)) {
      throw new StoreUnavailable(`${service}: no database at ${path}`, true)
    }
  }
  const database = await openDatabase<PlatformTables>(url, { create: false, poolSize: 1 })
  try {
    await database.ping()
    await migrate(database, 'platform', platformMigrations)
  } catch (error) {
    await database.close()
    throw new StoreUnavailable(
      `${service}: ${redact(url)}: ${(error as Error).message}`,
      noSuchDatabase(error),
    )
  }
  return { service, db: database.db, close: () => database.close() }
}

/** PostgreSQL's invalid_catalog_name, MySQL's ER_BAD_DB_ERROR. */
function noSuchDatabase(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === '3D000' || code === 'ER_BAD_DB_ERROR'
}
