import type { Dialect } from './database.ts'

/**
 * Why a database error is worth retrying as it is: the same statement may succeed later without
 * anyone changing code or data. `connection`: the server or the way to it is away; `conflict`: a
 * deadlock or serialization failure chose this transaction as the loser; `lock-timeout`: another
 * transaction held a lock too long; `busy`: SQLite's one writer was taken.
 */
export type TransientDbReason = 'connection' | 'conflict' | 'lock-timeout' | 'busy'

/** The database error's own reason, by its dialect's codes; undefined for anything else. */
export function transientDbReason(error: unknown, dialect: Dialect): TransientDbReason | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const found = byDialect[dialect](error as DriverError)
  return found ?? (socketFailure(error as DriverError) ? 'connection' : undefined)
}

interface DriverError {
  readonly code?: unknown
  readonly errcode?: unknown
  readonly fatal?: unknown
  readonly message?: unknown
}

/** SQLSTATE codes (PostgreSQL appendix A). */
export function postgresReason(error: DriverError): TransientDbReason | undefined {
  const code = typeof error.code === 'string' ? error.code : ''
  if (code === '40001' || code === '40P01') return 'conflict' // serialization_failure, deadlock_detected
  if (code === '55P03') return 'lock-timeout' // lock_not_available (lock_timeout, NOWAIT)
  // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, class 08 (connection).
  if (['57P01', '57P02', '57P03', '53300'].includes(code) || code.startsWith('08')) return 'connection'
  // node-postgres reports a socket that closed under a query or a pool that could not connect in
  // time with a plain Error and no code.
  const message = typeof error.message === 'string' ? error.message : ''
  if (/^Connection terminated|^timeout exceeded when trying to connect|not queryable/.test(message)) {
    return 'connection'
  }
  return undefined
}

const MYSQL_CONFLICT = new Set(['ER_LOCK_DEADLOCK', 'ER_CHECKREAD'])
const MYSQL_CONNECTION = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'ER_NET_READ_ERROR',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_WRITE_INTERRUPTED',
])

/** mysql2's codes for MariaDB/MySQL server errors and its own connection failures. */
export function mysqlReason(error: DriverError): TransientDbReason | undefined {
  const code = typeof error.code === 'string' ? error.code : ''
  if (MYSQL_CONFLICT.has(code)) return 'conflict'
  if (code === 'ER_LOCK_WAIT_TIMEOUT') return 'lock-timeout'
  // mysql2 marks every error that broke the connection itself as fatal.
  if (MYSQL_CONNECTION.has(code) || error.fatal === true) return 'connection'
  return undefined
}

const SQLITE_BUSY = 5
const SQLITE_LOCKED = 6

/** node:sqlite's result code; the extended codes (SQLITE_BUSY_SNAPSHOT, …) share the low byte. */
export function sqliteReason(error: DriverError): TransientDbReason | undefined {
  if (typeof error.errcode !== 'number') return undefined
  const primary = error.errcode & 0xff
  return primary === SQLITE_BUSY || primary === SQLITE_LOCKED ? 'busy' : undefined
}

const byDialect: Record<Dialect, (error: DriverError) => TransientDbReason | undefined> = {
  postgres: postgresReason,
  mysql: mysqlReason,
  sqlite: sqliteReason,
}

const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])

/** Node's own codes for a connection that could not be made or broke, whichever driver made it. */
const socketFailure = (error: DriverError) => typeof error.code === 'string' && SOCKET_CODES.has(error.code)
