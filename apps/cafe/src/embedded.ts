import { mkdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import type { Bus, Checkpointer, Env, Logger, RunningService } from '@cafeteria/platform'
import { ConfigError, configReader } from '@cafeteria/platform/config'
import { consoleFormat } from '@cafeteria/platform/logger'
import { type KeptToken, withLocalSecrets } from './secrets.ts'
import { type RunningThread, startThread } from './thread.ts'

export type EmbeddedService = Pick<RunningService, 'name' | 'url' | 'host' | 'stop'>

export interface EmbeddedSystem {
  readonly url: string
  readonly dataDir: string | undefined
  /** How many threads the services are spread over. */
  readonly threads: number
  readonly running: readonly EmbeddedService[]
  /** The staff token this run made or kept (none given, not in open mode), for the banner. */
  readonly staffToken: KeptToken | undefined
  stop(): Promise<void>
}

/**
 * The services a second thread runs: the consumers and payment, while the main thread keeps the
 * request path (gateway and order), so each core carries about half of an order's work.
 */
const SECOND_THREAD = ['payment', 'point', 'drink', 'customercenter']

/**
 * With a data directory a checkpointer thread copies each SQLite log back into its file twice a
 * second; a commit checkpoints in line only if the log ever grows past the bound (80 MB).
 */
const CHECKPOINT_EVERY_MS = 500
const CHECKPOINT_BOUND_PAGES = 20_000

/**
 * Embedded mode: every service in this one process, each on its own port with its own SQLite
 * database, and the durable in-process bus between them. With a data directory the services
 * are spread over two threads (`CAFE_THREADS=1` keeps one) that share the bus log;
 * `CAFE_DATA_DIR=:memory:` keeps nothing on disk and runs in one thread.
 */
export async function startEmbedded(
  env: Env,
  logger: Logger,
  options: {
    /** Wraps the bus the services share, e.g. to observe or disturb its deliveries (one thread). */
    decorateBus?: (bus: Bus) => Bus
  } = {},
): Promise<EmbeddedSystem> {
  // One copy of each service: every change to a live view is made where the view is served, so
  // reading watched views again every second (for changes of other replicas) is work for nothing.
  env = { LIVE_WATCH_MS: '0', ...env }
  const setting = env.CAFE_DATA_DIR ?? './data'
  const memory = setting === ':memory:'
  const dataDir = memory ? undefined : resolve(setting)
  if (dataDir) mkdirSync(dataDir, { recursive: true })
  const secrets = withLocalSecrets(env, dataDir)
  env = secrets.env
  const file = (name: string) => (dataDir ? join(dataDir, `${name}.db`) : ':memory:')
  const threads = threadCount(env, { memory, decorated: Boolean(options.decorateBus) })
  const handlerDeadlineMs = handlerDeadline(env)
  const elsewhere = threads > 1 ? SECOND_THREAD : []

  const autocheckpointPages = dataDir ? CHECKPOINT_BOUND_PAGES : undefined
  const databaseUrl = (name: string) => `sqlite:${file(name)}`
  // The second thread loads its modules while this one loads its own: start-up is mostly that.
  const thread: Promise<RunningThread> | undefined =
    elsewhere.length > 0
      ? startThread(
          {
            env: { ...env },
            services: elsewhere,
            busPath: file('bus'),
            handlerDeadlineMs,
            databaseUrl: Object.fromEntries(elsewhere.map((name) => [name, databaseUrl(name)])),
            autocheckpointPages,
            logLevel: logger.level,
            logFormat: consoleFormat(process.stdout, env.LOG_FORMAT),
          },
          logger,
        )
      : undefined
  thread?.catch(() => {}) // awaited below; this only keeps an early failure from going unhandled
  const [platform, { everyService, urlVariable }] = await Promise.all([
    import('@cafeteria/platform'),
    import('./services.ts'),
  ])

  let log: Bus
  try {
    // The log keeps the bus's default, synchronous=FULL, whatever SQLITE_SYNC says of the services'
    // files: see openLocalBus and the durability contract in docs/RELIABILITY.md.
    log = platform.openLocalBus({
      path: file('bus'),
      shared: threads > 1,
      autocheckpointPages,
      handlerDeadlineMs,
      logger,
    })
  } catch (error) {
    await (await thread?.catch(() => undefined))?.stop()
    throw error
  }
  const bus = options.decorateBus?.(log) ?? log
  const running: EmbeddedService[] = []
  let stopThread: (() => Promise<void>) | undefined
  let checkpointer: Checkpointer | undefined
  const stop = async () => {
    await checkpointer?.stop()
    for (const service of [...running].reverse()) {
      if (!elsewhere.includes(service.name)) await service.stop()
    }
    await stopThread?.()
    await bus.close()
  }
  try {
    // Services and the gateway find each other at the addresses they actually got (ports may be ephemeral).
    const wired: Record<string, string | undefined> = { ...env }
    if (thread) {
      const started = await thread
      stopThread = started.stop
      running.push(...started.services)
      for (const { name, url } of started.services) wired[urlVariable(name)] = url
    }
    // The gateway last: it routes to the others.
    for (const { definition, port } of everyService) {
      if (elsewhere.includes(definition.name)) continue
      const service = await platform.startService(definition, {
        env: wired,
        bus,
        logger,
        defaults: {
          port,
          databaseUrl: databaseUrl(definition.name),
          sqliteAutocheckpointPages: autocheckpointPages,
        },
      })
      running.push(service)
      wired[urlVariable(definition.name)] = service.url
    }
    const stored = everyService.filter((s) => s.definition.migrations).map((s) => s.definition.name)
    if (dataDir) checkpointer = platform.startCheckpointer(['bus', ...stored].map(file), CHECKPOINT_EVERY_MS)
    const url = running.find((s) => s.name === 'gateway')?.url as string
    return { url, dataDir, threads, running, staffToken: secrets.staffToken, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/**
 * Two threads where there are two cores to use, the log is a file both can open, and no test
 * wraps the bus (a wrapper lives in one thread).
 */
function threadCount(env: Env, { memory, decorated }: { memory: boolean; decorated: boolean }): number {
  const setting = env.CAFE_THREADS
  if (setting !== undefined && setting !== '1' && setting !== '2')
    throw new ConfigError([`CAFE_THREADS: "${setting}" is not 1 or 2`])
  if (memory || decorated) return 1
  return Number(setting ?? (availableParallelism() > 1 ? 2 : 1))
}

/** How long a handler may run before the log takes it as hung and retries its message. */
function handlerDeadline(env: Env): number | undefined {
  const read = configReader(env)
  const setting = read.optional('CAFE_HANDLER_DEADLINE_MS')
  const value = setting === undefined ? undefined : read.int('CAFE_HANDLER_DEADLINE_MS', 0, { min: 1000 })
  read.done()
  return value
}
