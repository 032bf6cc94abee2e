import type { ConfigReader } from './config.ts'

export interface ServiceDefaults {
  readonly port: number
  /** Where a service that keeps data keeps it, unless `<SERVICE>_DATABASE_URL` says. */
  readonly databaseUrl?: string
  /** Embedded mode has no balancer in front to wait for: 0 unless `SHUTDOWN_DELAY_MS` says. */
  readonly shutdownDelayMs?: number
  /** A checkpointer thread keeps SQLite's log short: commits checkpoint only past this many pages. */
  readonly sqliteAutocheckpointPages?: number
}

export interface ListenerSettings {
  readonly host: string
  readonly port: number
  /** Where a public listener's `/metrics` is served instead (on `SERVICE_HOST`); 0: nowhere. */
  readonly metrics?: { readonly host: string; readonly port: number }
  readonly shutdownDelayMs: number
  readonly shutdownTimeoutMs: number
}

/** Where a service listens, and how long it takes to stop. */
export function listenerSettings(
  read: ConfigReader,
  name: string,
  defaults: ServiceDefaults,
  { public: isPublic }: { public: boolean },
): ListenerSettings {
  const prefix = name.toUpperCase()
  // Only the gateway faces the network; a service is reached through it or by its neighbours on
  // this host, unless a platform routes to it by its own address (pod IPs: `0.0.0.0`).
  const internalHost = read.string('SERVICE_HOST', '127.0.0.1')
  return {
    // The one public listener: all interfaces unless HOST says.
    host: isPublic ? read.string('HOST', '0.0.0.0') : internalHost,
    port: read.int(`${prefix}_PORT`, defaults.port, { max: 65535 }),
    // A public port's figures are for the operators' scraper: on a port of their own where the
    // internal listeners are.
    ...(isPublic && {
      metrics: { host: internalHost, port: read.int(`${prefix}_METRICS_PORT`, 0, { max: 65535 }) },
    }),
    shutdownDelayMs: read.int('SHUTDOWN_DELAY_MS', defaults.shutdownDelayMs ?? 0),
    shutdownTimeoutMs: read.int('SHUTDOWN_TIMEOUT_MS', 10_000, { min: 0 }),
  }
}

export interface StoreSettings {
  readonly databaseUrl: string
  readonly poolSize: number
  readonly sqliteSync: 'normal' | 'full'
  readonly maxAttempts: number
  readonly outboxMaxAttempts: number
  readonly consumerConcurrency: number
  /** The CONSUMER_CONCURRENCY asked for, when it exceeded the pool and was capped to it. */
  readonly concurrencyCappedFrom?: number
  readonly outboxPollMs: number
  readonly inboxRetentionHours: number
}

/** The database, outbox and consumer of a service that keeps data. */
export function storeSettings(read: ConfigReader, name: string, defaults: ServiceDefaults): StoreSettings {
  const prefix = name.toUpperCase()
  const databaseUrl = read.optional(`${prefix}_DATABASE_URL`) ?? defaults.databaseUrl ?? ''
  if (!databaseUrl) read.refuse(`${prefix}_DATABASE_URL: not set, and ${name} keeps data`)
  const poolSize = read.int(`${prefix}_DB_POOL_SIZE`, 10, { min: 1, max: 500 })
  return {
    databaseUrl,
    poolSize,
    sqliteSync: read.oneOf('SQLITE_SYNC', ['normal', 'full'] as const, 'normal'),
    maxAttempts: read.int('CONSUMER_MAX_ATTEMPTS', 8, { min: 1, max: 1000 }),
    outboxMaxAttempts: read.int('OUTBOX_MAX_ATTEMPTS', 8, { min: 1, max: 1000 }),
    ...consumerConcurrency(
      read.optional('CONSUMER_CONCURRENCY') === undefined
        ? undefined
        : read.int('CONSUMER_CONCURRENCY', 1, { min: 1, max: 4096 }),
      poolSize,
      databaseUrl,
    ),
    outboxPollMs: read.int('OUTBOX_POLL_MS', 1000, { min: 10 }),
    // Longer than the broker keeps events (7 days), so a redelivery always finds its inbox entry.
    inboxRetentionHours: read.int('INBOX_RETENTION_HOURS', 8 * 24, { min: 7 * 24 + 1 }),
  }
}

/** SQLite has one connection and group-commits concurrent transactions together. */
const SQLITE_CONSUMER_CONCURRENCY = 64

/**
 * How many events a service handles at once. Each handler holds a database connection for its
 * transaction, so on PostgreSQL and MariaDB more handlers than the pool has connections only queue
 * for one while their ack_wait runs, and starve the HTTP routes and the relay of the same pool.
 * The default is therefore the pool size, and a larger CONSUMER_CONCURRENCY is capped to it at
 * start-up with a warning (`concurrencyCappedFrom`) rather than refused: the cap is always safe, and
 * a deployment that raised one setting and not the other keeps running. To handle more at once,
 * raise `<SERVICE>_DB_POOL_SIZE`. SQLite has no pool to exhaust: its one connection group-commits
 * concurrent handlers' transactions, so there the setting is taken as given (default 64).
 */
export function consumerConcurrency(
  requested: number | undefined,
  poolSize: number,
  databaseUrl: string,
): { consumerConcurrency: number; concurrencyCappedFrom?: number } {
  if (databaseUrl.startsWith('sqlite:')) {
    return { consumerConcurrency: requested ?? SQLITE_CONSUMER_CONCURRENCY }
  }
  if (requested === undefined) return { consumerConcurrency: poolSize }
  if (requested <= poolSize) return { consumerConcurrency: requested }
  return { consumerConcurrency: poolSize, concurrencyCappedFrom: requested }
}
