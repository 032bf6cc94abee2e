import { parentPort, workerData } from 'node:worker_threads'
import {
  ConfigError,
  createLogger,
  type LogFormat,
  openLocalBus,
  type RunningService,
  startService,
} from '@cafeteria/platform'
import { findService } from './services.ts'

/**
 * A worker thread of embedded mode: runs some of the services on the second core, against the
 * same SQLite bus log as the main thread (see embedded.ts).
 */
export interface ThreadPlan {
  readonly env: Record<string, string | undefined>
  readonly services: readonly string[]
  readonly busPath: string
  readonly handlerDeadlineMs: number | undefined
  readonly databaseUrl: Readonly<Record<string, string>>
  readonly autocheckpointPages: number | undefined
  readonly logLevel: string
  /** As the main thread writes its lines: both go to the same stdout. */
  readonly logFormat: LogFormat
}

/** Main thread → worker. */
export type ThreadCommand = { readonly stop: string | '*' }
/** Worker → main thread. */
export type ThreadReport =
  | { readonly started: ReadonlyArray<{ name: string; url: string; host: string }> }
  | { readonly stopped: string | '*' }
  | { readonly failed: string; readonly problems?: readonly string[] }

const plan = workerData as ThreadPlan
const port = parentPort
if (!port) throw new Error('embedded-thread.ts runs only as a worker thread')
const report = (message: ThreadReport) => port.postMessage(message)

const logger = createLogger({ level: plan.logLevel, format: plan.logFormat })
// As the main thread's: synchronous=FULL, the bus's default (see embedded.ts).
const bus = openLocalBus({
  path: plan.busPath,
  shared: true,
  autocheckpointPages: plan.autocheckpointPages,
  handlerDeadlineMs: plan.handlerDeadlineMs,
  logger,
})
const running: RunningService[] = []

async function start() {
  for (const name of plan.services) {
    const entry = findService(name)
    if (!entry) throw new Error(`unknown service "${name}"`)
    const databaseUrl = plan.databaseUrl[name]
    if (!databaseUrl) throw new Error(`no database for "${name}"`)
    running.push(
      await startService(entry.definition, {
        env: plan.env,
        bus,
        logger,
        defaults: { port: entry.port, databaseUrl, sqliteAutocheckpointPages: plan.autocheckpointPages },
      }),
    )
  }
}

async function stop(which: string) {
  for (const service of [...running].reverse()) {
    if (which === '*' || service.name === which) await service.stop()
  }
  if (which === '*') {
    await bus.close()
  }
}

port.on('message', (command: ThreadCommand) => {
  stop(command.stop).then(
    () => {
      report({ stopped: command.stop })
      // Only now: a closed port would swallow the report, and the main thread would wait forever.
      if (command.stop === '*') port.close()
    },
    (error: unknown) => report({ failed: String((error as Error)?.stack ?? error) }),
  )
})

start().then(
  () => report({ started: running.map(({ name, url, host }) => ({ name, url, host })) }),
  async (error: unknown) => {
    // A bad setting is told as the main thread tells its own: the problems, not a stack.
    report({
      failed: String((error as Error)?.stack ?? error),
      ...(error instanceof ConfigError && { problems: error.problems }),
    })
    await stop('*').catch(() => {})
  },
)
