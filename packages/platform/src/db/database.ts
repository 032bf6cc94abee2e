import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely'
import { ensureDatabase } from './ensure.ts'
import { groupCommit } from './group-commit.ts'
import { openSqlite, type SqliteSync } from './sqlite.ts'
import { inTransaction } from './transaction.ts'

export type Dialect = 'postgres' | 'mysql' | 'sqlite'

export interface Database<DB = any> {
  readonly db: Kysely<DB>
  readonly dialect: Dialect
  /** The URL without its password, for logs. */
  readonly label: string
  /**
   * Runs `work` in a transaction and then its `afterCommit` reactions. On SQLite, transactions
   * that wait for the one connection share a commit (see group-commit.ts).
   */
  transaction<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T>
  ping(): Promise<void>
  close(): Promise<void>
}

export interface OpenOptions {
  /** Connections per process (PostgreSQL and MySQL). */
  poolSize?: number
  sqliteSync?: SqliteSync
  /** Pages in the write-ahead log before a commit checkpoints in line (SQLite's default is 1000). */
  sqliteAutocheckpointPages?: number
  /** Create the database when it does not exist (PostgreSQL and MySQL). */
  create?: boolean
  /** Told of a pooled connection that broke while idle (PostgreSQL), for the log. */
  onIdleError?: (error: Error) => void
}

/**
 * Opens a database chosen by URL: `postgres://…`, `mysql://…` (or `mariadb://…`), `sqlite:<path>`
 * or `sqlite::memory:`. Switching a service's database product is configuration only.
 */
export async function openDatabase<DB = any>(url: string, options: OpenOptions = {}): Promise<Database<DB>> {
  const dialect = dialectOf(url)
  const label = redact(url)
  if (options.create !== false && dialect !== 'sqlite') await ensureDatabase(dialect, url)
  const poolSize = options.poolSize ?? 10
  let kyselyDialect: PostgresDialect | MysqlDialect | SqliteDialect
  // The drivers of PostgreSQL and MariaDB load only where they are used: not in embedded mode.
  if (dialect === 'postgres') {
    const { default: pg } = await import('pg')
    // int8 (bigserial ids, counts) as a JS number: ids stay far below 2^53.
    const types = {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text'),
    }
    const pool = new pg.Pool({ connectionString: url, max: poolSize, types })
    // A connection that breaks (the server restarted, a network blip) reports it as an 'error'
    // event, which crashes the process unless someone listens: the pool for an idle connection,
    // which it then drops, the client itself for one checked out. The query in flight, or the
    // next, fails anyway and reaches its caller as transient (see events/transient.ts).
    pool.on('error', (error) => options.onIdleError?.(error))
    pool.on('connect', (client) => client.on('error', () => {}))
    kyselyDialect = new PostgresDialect({ pool })
  } else if (dialect === 'mysql') {
    const u = new URL(url.replace(/^mariadb:/, 'mysql:'))
    const { default: mysql } = await import('mysql2')
    kyselyDialect = new MysqlDialect({
      pool: mysql.createPool({
        host: u.hostname,
        port: Number(u.port || 3306),
        user: decodeURIComponent(u.username),
        password: decodeURIComponent(u.password),
        database: u.pathname.slice(1),
        connectionLimit: poolSize,
        timezone: 'Z',
        dateStrings: false,
      }),
    })
  } else {
    const path = url.replace(/^sqlite:/, '')
    kyselyDialect = new SqliteDialect({
      database: openSqlite(path, options.sqliteSync, {
        autocheckpointPages: options.sqliteAutocheckpointPages,
      }),
    })
  }
  const db = new Kysely<DB>({ dialect: kyselyDialect })
  return {
    db,
    dialect,
    label,
    transaction: dialect === 'sqlite' ? groupCommit(db) : (work) => inTransaction(db, work),
    ping: async () => {
      await sql`select 1`.execute(db)
    },
    close: () => db.destroy(),
  }
}

export function dialectOf(url: string): Dialect {
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres'
  if (/^(mysql|mariadb):\/\//.test(url)) return 'mysql'
  if (url.startsWith('sqlite:')) return 'sqlite'
  throw new Error(
    `unsupported database URL "${redact(url)}": use postgres://, mysql://, mariadb:// or sqlite:`,
  )
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')
}
