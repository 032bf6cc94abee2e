import type { NewEvent } from '@cafeteria/contracts'
import type { Kysely, Transaction } from 'kysely'
import type { Bus, Subscription } from './bus/port.ts'
import { type ConfigReader, configReader, type Env } from './config.ts'
import { type Database, type Dialect, openDatabase } from './db/database.ts'
import { migrate, type ServiceMigration } from './db/migrate.ts'
import { type PlatformTables, platformMigrations } from './db/platform-tables.ts'
import { afterCommit } from './db/transaction.ts'
import { createConsumer, type EventHandlers, type Outcome } from './events/consumer.ts'
import { countDeadLetters, startReplayWorker } from './events/dead-letters.ts'
import { appendToOutbox, toEnvelope } from './events/outbox.ts'
import { countOutboxLetters } from './events/outbox-dead-letters.ts'
import { type Relay, startRelay } from './events/relay.ts'
import { startInboxRetention } from './events/retention.ts'
import { TransientError } from './events/transient.ts'
import { type AccessSettings, accessSettings, OPEN_MODE_WARNING, type StaffGuard } from './http/access.ts'
import { createHttpApp, type HttpApp } from './http/app.ts'
import { drainHttp } from './http/drain.ts'
import { serverLimits } from './http/limits.ts'
import { type CallPolicySettings, createCallPolicy, type ResilientCallPolicy } from './http/resilience.ts'
import type { Logger } from './logger.ts'
import { logFileSettings, serviceLogger } from './observability/log-files.ts'
import { createServiceMetrics, type ServiceMetrics } from './observability/metrics.ts'
import { reliabilityMetrics, watchBreaker } from './observability/reliability-metrics.ts'
import { startTracing, tracingSettings } from './observability/tracing.ts'
import { withTimeout } from './timeout.ts'

/** What a service is: its name, its schema, its routes and the events it reacts to. */
export interface ServiceDefinition<DB, C = Record<string, never>> {
  readonly name: string
  readonly migrations: readonly ServiceMigration[]
  /** The service's own settings, read from the environment at start-up. */
  readonly settings?: (read: ConfigReader) => C
  readonly routes?: (app: HttpApp, ctx: ServiceContext<DB, C>) => void | Promise<void>
  readonly handlers?: (ctx: ServiceContext<DB, C>) => EventHandlers<DB>
  /** How the service's `staff` routes check the barista's token. */
  readonly staff?: (ctx: ServiceContext<DB, C>) => StaffGuard
}

export type ServiceDb<DB> = Kysely<DB & PlatformTables>
export type ServiceTrx<DB> = Transaction<DB & PlatformTables>

export interface ServiceContext<DB, C> {
  readonly name: string
  readonly config: C
  /** Open mode, and the secret that signs customers' sessions (see http/access.ts). */
  readonly access: AccessSettings
  readonly db: ServiceDb<DB>
  readonly dialect: Dialect
  readonly log: Logger
  /** The service's own metrics registry, served at `/metrics`. */
  readonly metrics: ServiceMetrics
  readonly now: () => Date
  /** Runs `work` in a transaction; `afterCommit` reactions run once it committed. */
  transaction<T>(work: (trx: ServiceTrx<DB>) => Promise<T>): Promise<T>
  /** Records events in the outbox of the surrounding transaction; they are relayed once it commits. */
  emit(trx: ServiceTrx<DB>, events: readonly NewEvent[]): Promise<void>
  /** Runs `react` after the transaction commits, e.g. to wake a background worker. */
  afterCommit(trx: ServiceTrx<DB>, react: () => void): void
  /** Releases a resource (an HTTP client pool) when the service stops. */
  onClose(release: () => Promise<void> | void): void
  /**
   * Shows `report()` under `details.<name>` of `/health/ready`, for operators only: it never makes
   * the service unready (an open breaker to one callee must not take every route out of service).
   */
  reportInReadiness(name: string, report: () => unknown): void
  /**
   * The resilience policy of a synchronous call to `callee` (see resilience.ts), its breaker shown
   * in `/health/ready` details and in `/metrics`.
   */
  callPolicy(callee: string, settings: CallPolicySettings): ResilientCallPolicy
}

export interface RuntimeSettings {
  readonly host: string
  readonly port: number
  readonly databaseUrl: string
  readonly poolSize: number
  readonly sqliteSync: 'normal' | 'full'
  readonly maxAttempts: number
  readonly outboxMaxAttempts: number
  readonly consumerConcurrency: number
  /** The CONSUMER_CONCURRENCY asked for, when it exceeded the pool and was capped to it. */
  readonly concurrencyCappedFrom?: number
  readonly outboxPollMs: number
  readonly shutdownDelayMs: number
  readonly shutdownTimeoutMs: number
  readonly inboxRetentionHours: number
}

export function runtimeSettings(read: ConfigReader, name: string, defaults: ServiceDefaults) {
  const prefix = name.toUpperCase()
  const databaseUrl = read.string(`${prefix}_DATABASE_URL`, defaults.databaseUrl)
  const poolSize = read.int(`${prefix}_DB_POOL_SIZE`, 10, { min: 1, max: 500 })
  return {
    // Only the gateway faces the network; a service is reached through it or by its neighbours on
    // this host, unless a platform routes to it by its own address (pod IPs: `0.0.0.0`).
    host: read.string('SERVICE_HOST', '127.0.0.1'),
    port: read.int(`${prefix}_PORT`, defaults.port, { max: 65535 }),
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
    shutdownDelayMs: read.int('SHUTDOWN_DELAY_MS', defaults.shutdownDelayMs ?? 0),
    shutdownTimeoutMs: read.int('SHUTDOWN_TIMEOUT_MS', 10_000, { min: 0 }),
    // Longer than the broker keeps events (7 days), so a redelivery always finds its inbox entry.
    inboxRetentionHours: read.int('INBOX_RETENTION_HOURS', 8 * 24, { min: 7 * 24 + 1 }),
  } satisfies RuntimeSettings
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

export interface ServiceDefaults {
  readonly port: number
  readonly databaseUrl: string
  /** Embedded mode has no balancer in front to wait for: 0 unless `SHUTDOWN_DELAY_MS` says. */
  readonly shutdownDelayMs?: number
  /** A checkpointer thread keeps SQLite's log short: commits checkpoint only past this many pages. */
  readonly sqliteAutocheckpointPages?: number
}

export interface RunningService {
  readonly name: string
  readonly url: string
  /** The address the listener is bound to, as the socket reports it (`127.0.0.1`, `0.0.0.0`, `::`). */
  readonly host: string
  readonly app: HttpApp
  stop(): Promise<void>
}

export interface StartOptions {
  readonly env: Env
  readonly bus: Bus
  readonly logger: Logger
  readonly defaults: ServiceDefaults
  /** The service's clock (`ctx.now`); a test passes one that runs ahead or behind, as a host's may. */
  readonly now?: () => Date
}

/**
 * Starts one service: database and migrations, outbox relay, HTTP app, event consumer — the
 * same in embedded and distributed mode; only the bus and the database URL differ.
 */
export async function startService<DB, C>(
  definition: ServiceDefinition<DB, C>,
  options: StartOptions,
): Promise<RunningService> {
  const { name } = definition
  const read = configReader(options.env)
  const runtime = runtimeSettings(read, name, options.defaults)
  const logFiles = logFileSettings(read)
  const tracing = tracingSettings(read)
  const limits = serverLimits(read)
  const config = (definition.settings?.(read) ?? {}) as C
  const access = accessSettings(read)
  read.done()

  const { log, close: closeLog } = await serviceLogger(options.logger, name, logFiles)
  if (access.open) log.warn(OPEN_MODE_WARNING)
  if (runtime.concurrencyCappedFrom !== undefined) {
    log.warn(
      {
        requested: runtime.concurrencyCappedFrom,
        consumerConcurrency: runtime.consumerConcurrency,
        poolSize: runtime.poolSize,
      },
      `CONSUMER_CONCURRENCY ${runtime.concurrencyCappedFrom} exceeds the database pool; capped to ${runtime.consumerConcurrency}: raise ${name.toUpperCase()}_DB_POOL_SIZE to handle more at once`,
    )
  }
  const tracer = tracing && (await startTracing(name, tracing))
  const database: Database<DB & PlatformTables> = await openDatabase(runtime.databaseUrl, {
    poolSize: runtime.poolSize,
    sqliteSync: runtime.sqliteSync,
    sqliteAutocheckpointPages: options.defaults.sqliteAutocheckpointPages,
    onIdleError: (error) => log.warn({ err: error }, 'an idle database connection broke; dropped'),
  }).catch(async (error: unknown) => {
    await closeLog()
    throw error
  })
  // Released last: the spans of everything stopping before it are exported.
  const releases: Array<() => Promise<void> | void> = tracer ? [() => tracer.shutdown()] : []
  const reports = new Map<string, () => unknown>()
  const metrics = createServiceMetrics(name)
  const platformDb = database.db as unknown as Kysely<PlatformTables>
  try {
    await migrate(database, 'platform', platformMigrations)
    await migrate(database, name, definition.migrations)
    const relay: Relay = startRelay({
      database: database as unknown as Database<PlatformTables>,
      bus: options.bus,
      log,
      pollMs: runtime.outboxPollMs,
      maxAttempts: runtime.outboxMaxAttempts,
      published: (rows) => reliability.published(rows),
    })
    releases.push(() => relay.stop())
    const lag = definition.handlers ? options.bus.lag?.bind(options.bus) : undefined
    const streamLosses = options.bus.streamLosses?.bind(options.bus)
    const reliability = reliabilityMetrics(metrics, {
      backlog: () => relay.backlog(),
      deadLetters: () => countDeadLetters(platformDb, name),
      outboxDeadLetters: () => countOutboxLetters(platformDb),
      lag: lag && (() => lag(name)),
      streamLosses: streamLosses && (() => streamLosses().count),
    })
    // A lost stream leaves the service ready (it recreated the stream and new events flow), but
    // the operator must see that events were lost; see jetstream-stream.ts.
    if (streamLosses) reports.set('bus', () => ({ streamLost: streamLosses() }))

    const ctx: ServiceContext<DB, C> = {
      name,
      config,
      access,
      db: database.db,
      dialect: database.dialect,
      log,
      metrics,
      now: options.now ?? (() => new Date()),
      transaction: (work) => database.transaction(work),
      afterCommit,
      async emit(trx, events) {
        const now = new Date()
        if (events.length > 0) afterCommit(trx, relay.kick)
        await appendToOutbox(
          trx as unknown as Kysely<PlatformTables>,
          events.map((e) => toEnvelope(name, e, now)),
          tracer && events.length > 0 ? tracer.emitting(events.map((e) => e.type)) : undefined,
        )
      },
      onClose: (release) => {
        releases.push(release)
      },
      reportInReadiness: (reportName, report) => {
        reports.set(reportName, report)
      },
      callPolicy(callee, settings) {
        const policy = createCallPolicy({ name: callee, log, ...settings })
        reports.set(callee, policy.state)
        watchBreaker(metrics, callee, policy.state)
        return policy
      },
    }

    const app = await createHttpApp({
      name,
      logger: log,
      metrics,
      tracing: tracer,
      access: { settings: access, ...(definition.staff && { staff: definition.staff(ctx) }) },
      limits,
      readiness: async () => ({
        database: await withTimeout(
          database.ping().then(() => ({ ok: true, detail: database.label })),
          1000,
          () => ({ ok: false, detail: `${database.label} did not answer within 1 s` }),
        ).catch((error: Error) => ({ ok: false, detail: error.message })),
        bus: options.bus.health(),
      }),
      details: () => (reports.size === 0 ? undefined : readinessDetails(reports)),
    })
    await definition.routes?.(app, ctx)

    let subscription: Subscription | undefined
    if (definition.handlers) {
      const handlers = definition.handlers(ctx)
      const consumer = createConsumer({
        consumer: name,
        database,
        handlers,
        log,
        maxAttempts: runtime.maxAttempts,
      })
      subscription = options.bus.consume(
        name,
        async (message) => {
          let outcome: Outcome | 'failed' | 'transient' = 'failed'
          try {
            outcome = await (tracer && Object.hasOwn(handlers, message.type)
              ? tracer.consume(message, () => consumer.handle(message))
              : consumer.handle(message))
          } catch (error) {
            if (error instanceof TransientError) outcome = 'transient'
            throw error
          } finally {
            reliability.consumed(message.type, message.attempt, outcome)
          }
        },
        { concurrency: runtime.consumerConcurrency, types: Object.keys(handlers) },
      )
      const replays = startReplayWorker({
        db: platformDb,
        consumer: name,
        replay: consumer.replay,
        log,
      })
      releases.push(() => replays.stop())
      const retention = startInboxRetention({
        db: platformDb,
        retentionMs: runtime.inboxRetentionHours * 3_600_000,
        log,
      })
      releases.push(() => retention.stop())
    }

    await app.listen({ host: runtime.host, port: runtime.port, listenTextResolver: () => '' })
    const { host, port } = boundAddress(app, runtime)
    const url = `http://127.0.0.1:${port}`
    log.info({ url, host, database: database.label, bus: options.bus.kind }, 'service started')

    let stopping: Promise<void> | undefined
    const stop = async () => {
      // Not ready first, still serving while balancers stop sending; then stop taking connections
      // and finish the requests in flight, then the events in hand, then publish what they emitted.
      await drainHttp(app, { delayMs: runtime.shutdownDelayMs, timeoutMs: runtime.shutdownTimeoutMs }, log)
      await subscription?.stop()
      await relay
        .flush()
        .catch((error: unknown) => log.warn({ err: error }, 'outbox flush on shutdown failed'))
      for (const release of releases.reverse()) await release()
      await database.close()
      log.info('service stopped')
      await closeLog()
    }
    return {
      name,
      url,
      host,
      app,
      stop: () => {
        stopping ??= stop()
        return stopping
      },
    }
  } catch (error) {
    for (const release of releases.reverse()) await release()
    await database.close()
    await closeLog()
    throw error
  }
}

/** Where a started app listens, as the socket reports it; the setting's values if it cannot say. */
export function boundAddress(app: HttpApp, fallback: { host: string; port: number }) {
  const address = app.server.address()
  return typeof address === 'object' && address ? { host: address.address, port: address.port } : fallback
}

function readinessDetails(reports: ReadonlyMap<string, () => unknown>): Record<string, unknown> {
  const details: Record<string, unknown> = {}
  for (const [name, report] of reports) {
    try {
      details[name] = report()
    } catch (error) {
      details[name] = { error: (error as Error).message }
    }
  }
  return details
}
