import type { Bus } from './bus/port.ts'
import { type ConfigReader, configReader, type Env } from './config.ts'
import type { ServiceMigration } from './db/migrate.ts'
import type { EventHandlers } from './events/consumer.ts'
import { type AccessSettings, accessSettings, OPEN_MODE_WARNING, type StaffGuard } from './http/access.ts'
import { createHttpApp, type HttpApp } from './http/app.ts'
import { drainHttp } from './http/drain.ts'
import { serverLimits } from './http/limits.ts'
import { type CallPolicySettings, createCallPolicy, type ResilientCallPolicy } from './http/resilience.ts'
import type { TrustProxy } from './http/trust-proxy.ts'
import type { Logger } from './logger.ts'
import { logFileSettings, serviceLogger } from './observability/log-files.ts'
import { createServiceMetrics, type ServiceMetrics } from './observability/metrics.ts'
import { type MetricsServer, startMetricsServer } from './observability/metrics-server.ts'
import { watchBreaker } from './observability/reliability-metrics.ts'
import { startTracing, tracingSettings } from './observability/tracing.ts'
import { listenerSettings, type ServiceDefaults, storeSettings } from './service-settings.ts'
import { openServiceStore, type ServiceStore, type StoreContext } from './service-store.ts'
import type { PendingWorker, Worker } from './worker.ts'

export * from './service-settings.ts'
export type { ServiceDb, ServiceTrx, StoreContext } from './service-store.ts'

/**
 * What every service is, whether or not it keeps data. `compose` builds the service's
 * collaborators once (clients, live feeds, metrics, workers not yet running); what it returns is
 * handed to each of the other parts, so they share them.
 */
export interface ServiceParts<Ctx, C, D> {
  readonly name: string
  /** The service's own settings, read from the environment at start-up. */
  readonly settings?: (read: ConfigReader) => C
  readonly compose?: (ctx: Ctx) => D
  readonly routes?: (app: HttpApp, ctx: Ctx, deps: D) => void | Promise<void>
  /**
   * Background loops, started (and run once) when the routes and event handlers are in place,
   * stopped after the HTTP drain and the events in hand, before the outbox is flushed.
   */
  readonly workers?: (ctx: Ctx, deps: D) => readonly PendingWorker[]
  /** How the service's `staff` routes check the barista's token. */
  readonly staff?: (ctx: Ctx, deps: D) => StaffGuard
  /** A listener the public reaches (the gateway's) rather than one its neighbours call. */
  readonly public?: (config: C) => PublicListener
}

/**
 * A listener on `HOST` (all interfaces by default) instead of `SERVICE_HOST`, whose `/metrics`
 * goes out on `<SERVICE>_METRICS_PORT` instead, for the operators' scraper only. Its routes say
 * nothing of who may call them: the services behind it guard theirs.
 */
export interface PublicListener {
  /** The proxies whose `X-Forwarded-For` gives `request.ip` (trust-proxy.ts). */
  readonly trustProxy?: TrustProxy
}

/** A service that keeps data: its schema, and the events it reacts to. */
export interface ServiceDefinition<DB, C = Record<string, never>, D = undefined>
  extends ServiceParts<ServiceContext<DB, C>, C, D> {
  readonly migrations: readonly ServiceMigration[]
  readonly handlers?: (ctx: ServiceContext<DB, C>, deps: D) => EventHandlers<DB>
}

/** A service that keeps no data (the gateway): no database, no outbox, no consumer, no bus. */
export interface StatelessServiceDefinition<C = Record<string, never>, D = undefined>
  extends ServiceParts<BaseContext<C>, C, D> {
  readonly migrations?: undefined
  readonly handlers?: undefined
}

export type AnyServiceDefinition = ServiceDefinition<any, any, any> | StatelessServiceDefinition<any, any>

/** What every service's parts are given. */
export interface BaseContext<C> {
  readonly name: string
  readonly config: C
  /** Open mode, and the secret that signs customers' sessions (see http/access.ts). */
  readonly access: AccessSettings
  readonly log: Logger
  /** The service's own metrics registry, served at `/metrics`. */
  readonly metrics: ServiceMetrics
  readonly now: () => Date
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

export interface ServiceContext<DB, C> extends BaseContext<C>, StoreContext<DB> {}

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
  /** The broker of the events; only a service that keeps data (it has an outbox) needs one. */
  readonly bus?: Bus
  readonly logger: Logger
  readonly defaults: ServiceDefaults
  /** The service's clock (`ctx.now`); a test passes one that runs ahead or behind, as a host's may. */
  readonly now?: () => Date
}

/**
 * Starts one service — settings, logger, database and migrations with the outbox relay (if it
 * keeps data), its collaborators, HTTP app, workers, event consumer — the same for every service
 * in embedded and distributed mode; only the bus and the database URL differ.
 */
export async function startService<DB, C, D>(
  definition: ServiceDefinition<DB, C, D> | StatelessServiceDefinition<C, D>,
  options: StartOptions,
): Promise<RunningService> {
  const { name } = definition
  const read = configReader(options.env)
  const listener = listenerSettings(read, name, options.defaults, { public: Boolean(definition.public) })
  const store = definition.migrations && storeSettings(read, name, options.defaults)
  const logFiles = logFileSettings(read)
  const tracing = tracingSettings(read)
  const limits = serverLimits(read)
  const config = (definition.settings?.(read) ?? {}) as C
  const access = accessSettings(read)
  read.done()
  if (definition.migrations && !options.bus) throw new Error(`${name} keeps data: it needs a bus`)

  const { log, close: closeLog } = await serviceLogger(options.logger, name, logFiles)
  if (access.open) log.warn(OPEN_MODE_WARNING)
  if (store?.concurrencyCappedFrom !== undefined) {
    log.warn(
      {
        requested: store.concurrencyCappedFrom,
        consumerConcurrency: store.consumerConcurrency,
        poolSize: store.poolSize,
      },
      `CONSUMER_CONCURRENCY ${store.concurrencyCappedFrom} exceeds the database pool; capped to ${store.consumerConcurrency}: raise ${name.toUpperCase()}_DB_POOL_SIZE to handle more at once`,
    )
  }
  const tracer = tracing && (await startTracing(name, tracing))
  const releases: Array<() => Promise<void> | void> = []
  const reports = new Map<string, () => unknown>()
  const metrics = createServiceMetrics(name)
  const base: BaseContext<C> = {
    name,
    config,
    access,
    log,
    metrics,
    now: options.now ?? (() => new Date()),
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

  let stored: ServiceStore<DB> | undefined
  let workers: Worker[] = []
  let metricsServer: MetricsServer | undefined
  /** Stops what has started, in the reverse order; `flush`: publish what is left in the outbox first. */
  const release = async ({ flush }: { flush: boolean }) => {
    await metricsServer?.close()
    await stored?.stopConsuming()
    for (const worker of workers.reverse()) await worker.stop()
    if (flush) await stored?.flush()
    for (const done of releases.reverse()) await done()
    await stored?.close()
    // Last: the spans of everything stopping before it are exported.
    await tracer?.shutdown()
  }
  let app: HttpApp | undefined
  try {
    if (definition.migrations && store && options.bus) {
      stored = await openServiceStore<DB>({
        name,
        settings: store,
        migrations: definition.migrations,
        bus: options.bus,
        log,
        metrics,
        tracer,
        sqliteAutocheckpointPages: options.defaults.sqliteAutocheckpointPages,
        consumes: Boolean(definition.handlers),
        report: base.reportInReadiness,
      })
    }
    // One path for both kinds: a stateless service's parts are given the base context, which this
    // then is.
    const ctx = (stored ? { ...base, ...stored.context } : base) as ServiceContext<DB, C>
    const parts = definition as ServiceDefinition<DB, C, D>
    const deps = parts.compose?.(ctx) as D
    const publicListener = definition.public?.(config)
    const readiness = stored?.readiness
    app = await createHttpApp({
      name,
      logger: log,
      metrics,
      tracing: tracer,
      limits,
      ...(publicListener
        ? { serveMetrics: false, trustProxy: publicListener.trustProxy }
        : { access: { settings: access, ...(parts.staff && { staff: parts.staff(ctx, deps) }) } }),
      ...(readiness && { readiness }),
      details: () => (reports.size === 0 ? undefined : readinessDetails(reports)),
    })
    await parts.routes?.(app, ctx, deps)
    workers = (parts.workers?.(ctx, deps) ?? []).map((worker) => worker.start())
    // What piled up while the service was down is done at once, not at the first poll.
    for (const worker of workers) worker.kick()
    if (parts.handlers) stored?.consume(parts.handlers(ctx, deps))

    await app.listen({ host: listener.host, port: listener.port, listenTextResolver: () => '' })
    if (listener.metrics && listener.metrics.port > 0) {
      metricsServer = await startMetricsServer({ ...listener.metrics, metrics, limits, log })
    }
    const { host, port } = boundAddress(app, listener)
    const url = `http://127.0.0.1:${port}`
    log.info(
      {
        url,
        host,
        ...(stored && { database: stored.label, bus: options.bus?.kind }),
        ...(metricsServer && { metrics: metricsServer.url }),
      },
      'service started',
    )

    let stopping: Promise<void> | undefined
    const running = app
    const stop = async () => {
      // Not ready first, still serving while balancers stop sending; then stop taking connections
      // and finish the requests in flight (scrapes go on meanwhile), then the events in hand and
      // the background work, then publish what they emitted.
      await drainHttp(
        running,
        { delayMs: listener.shutdownDelayMs, timeoutMs: listener.shutdownTimeoutMs },
        log,
      )
      await release({ flush: true })
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
    await app?.close()
    await release({ flush: false })
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
