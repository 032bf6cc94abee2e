import type { NewEvent } from '@cafeteria/contracts'
import type { Kysely, Transaction } from 'kysely'
import type { Bus, Subscription } from './bus/port.ts'
import { type Database, type Dialect, openDatabase } from './db/database.ts'
import { migrate, type ServiceMigration } from './db/migrate.ts'
import { type PlatformTables, platformMigrations } from './db/platform-tables.ts'
import { afterCommit } from './db/transaction.ts'
import { createConsumer, type EventHandlers, type Outcome } from './events/consumer.ts'
import { countDeadLetters, startReplayWorker } from './events/dead-letters.ts'
import { appendToOutbox, toEnvelope } from './events/outbox.ts'
import { countOutboxLetters } from './events/outbox-dead-letters.ts'
import { startRelay } from './events/relay.ts'
import { startInboxRetention } from './events/retention.ts'
import { TransientError } from './events/transient.ts'
import type { Readiness } from './http/app.ts'
import type { Logger } from './logger.ts'
import type { ServiceMetrics } from './observability/metrics.ts'
import { reliabilityMetrics } from './observability/reliability-metrics.ts'
import type { ServiceTracer } from './observability/tracing.ts'
import type { StoreSettings } from './service-settings.ts'
import { withTimeout } from './timeout.ts'
import type { Worker } from './worker.ts'

export type ServiceDb<DB> = Kysely<DB & PlatformTables>
export type ServiceTrx<DB> = Transaction<DB & PlatformTables>

/** What a service that keeps data has in its context besides what every service has. */
export interface StoreContext<DB> {
  readonly db: ServiceDb<DB>
  readonly dialect: Dialect
  /** Runs `work` in a transaction; `afterCommit` reactions run once it committed. */
  transaction<T>(work: (trx: ServiceTrx<DB>) => Promise<T>): Promise<T>
  /** Records events in the outbox of the surrounding transaction; they are relayed once it commits. */
  emit(trx: ServiceTrx<DB>, events: readonly NewEvent[]): Promise<void>
  /** Runs `react` after the transaction commits, e.g. to wake a background worker. */
  afterCommit(trx: ServiceTrx<DB>, react: () => void): void
}

export interface ServiceStore<DB> {
  readonly context: StoreContext<DB>
  /** The database and the broker, as `/health/ready` checks them. */
  readonly readiness: Readiness
  /** The database as the start-up line names it. */
  readonly label: string
  /** Starts handling the events `handlers` take, and replaying their dead letters on request. */
  consume(handlers: EventHandlers<DB>): void
  /** Stops taking events; resolves once the ones in hand are handled. */
  stopConsuming(): Promise<void>
  /** Publishes what is left in the outbox. */
  flush(): Promise<void>
  /** Stops the relay and closes the database. */
  close(): Promise<void>
}

export interface StoreOptions {
  readonly name: string
  readonly settings: StoreSettings
  readonly migrations: readonly ServiceMigration[]
  readonly bus: Bus
  readonly log: Logger
  readonly metrics: ServiceMetrics
  readonly tracer: ServiceTracer | undefined
  readonly sqliteAutocheckpointPages: number | undefined
  /** Whether the service consumes events (its lag is then measured). */
  readonly consumes: boolean
  /** Shows a report under `details` of `/health/ready`. */
  readonly report: (name: string, report: () => unknown) => void
}

/**
 * A service's database (migrated), its outbox relay and its event consumer: what a service that
 * keeps data has and the gateway has not.
 */
export async function openServiceStore<DB>(options: StoreOptions): Promise<ServiceStore<DB>> {
  const { name, settings, bus, log, tracer } = options
  const database: Database<DB & PlatformTables> = await openDatabase(settings.databaseUrl, {
    poolSize: settings.poolSize,
    sqliteSync: settings.sqliteSync,
    sqliteAutocheckpointPages: options.sqliteAutocheckpointPages,
    onIdleError: (error) => log.warn({ err: error }, 'an idle database connection broke; dropped'),
  })
  try {
    await migrate(database, 'platform', platformMigrations)
    await migrate(database, name, options.migrations)
  } catch (error) {
    await database.close()
    throw error
  }
  const platformDb = database.db as unknown as Kysely<PlatformTables>
  const relay = startRelay({
    database: database as unknown as Database<PlatformTables>,
    bus,
    log,
    pollMs: settings.outboxPollMs,
    maxAttempts: settings.outboxMaxAttempts,
    published: (rows) => reliability.published(rows),
  })
  const lag = options.consumes ? bus.lag?.bind(bus) : undefined
  const streamLosses = bus.streamLosses?.bind(bus)
  const reliability = reliabilityMetrics(options.metrics, {
    backlog: () => relay.backlog(),
    deadLetters: () => countDeadLetters(platformDb, name),
    outboxDeadLetters: () => countOutboxLetters(platformDb),
    lag: lag && (() => lag(name)),
    streamLosses: streamLosses && (() => streamLosses().count),
  })
  // A lost stream leaves the service ready (it recreated the stream and new events flow), but
  // the operator must see that events were lost; see jetstream-stream.ts.
  if (streamLosses) options.report('bus', () => ({ streamLost: streamLosses() }))

  let subscription: Subscription | undefined
  const consumerWorkers: Worker[] = []

  return {
    label: database.label,
    context: {
      db: database.db,
      dialect: database.dialect,
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
    },
    readiness: async () => ({
      database: await withTimeout(
        database.ping().then(() => ({ ok: true, detail: database.label })),
        1000,
        () => ({ ok: false, detail: `${database.label} did not answer within 1 s` }),
      ).catch((error: Error) => ({ ok: false, detail: error.message })),
      bus: bus.health(),
    }),
    consume(handlers) {
      const consumer = createConsumer({
        consumer: name,
        database,
        handlers,
        log,
        maxAttempts: settings.maxAttempts,
      })
      subscription = bus.consume(
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
        { concurrency: settings.consumerConcurrency, types: Object.keys(handlers) },
      )
      consumerWorkers.push(
        startReplayWorker({ db: platformDb, consumer: name, replay: consumer.replay, log }),
        startInboxRetention({
          db: platformDb,
          retentionMs: settings.inboxRetentionHours * 3_600_000,
          log,
        }),
      )
    },
    async stopConsuming() {
      await subscription?.stop()
      for (const worker of consumerWorkers.reverse()) await worker.stop()
      consumerWorkers.length = 0
    },
    flush: () =>
      relay.flush().catch((error: unknown) => log.warn({ err: error }, 'outbox flush on shutdown failed')),
    async close() {
      await relay.stop()
      await database.close()
    },
  }
}
