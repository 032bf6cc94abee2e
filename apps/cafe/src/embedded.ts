import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { startGateway } from '@cafeteria/gateway'
import {
  type Bus,
  type Env,
  type Logger,
  openLocalBus,
  type RunningService,
  startService,
} from '@cafeteria/platform'
import { GATEWAY_PORT, services, urlVariable } from './services.ts'

export interface EmbeddedSystem {
  readonly url: string
  readonly dataDir: string | undefined
  readonly running: readonly RunningService[]
  stop(): Promise<void>
}

/**
 * Embedded mode: every service in this one process, each on its own port with its own SQLite
 * database, and the durable in-process bus between them. `CAFE_DATA_DIR=:memory:` keeps
 * nothing on disk.
 */
export async function startEmbedded(
  env: Env,
  logger: Logger,
  options: {
    /** Wraps the bus the services share, e.g. to observe or disturb its deliveries. */
    decorateBus?: (bus: Bus) => Bus
  } = {},
): Promise<EmbeddedSystem> {
  const setting = env.CAFE_DATA_DIR ?? './data'
  const memory = setting === ':memory:'
  const dataDir = memory ? undefined : resolve(setting)
  if (dataDir) mkdirSync(dataDir, { recursive: true })
  const file = (name: string) => (dataDir ? join(dataDir, `${name}.db`) : ':memory:')
  const log = openLocalBus({ path: file('bus'), sync: env.SQLITE_SYNC === 'full' ? 'full' : 'normal' })
  const bus = options.decorateBus?.(log) ?? log

  const running: RunningService[] = []
  const stop = async () => {
    for (const service of [...running].reverse()) await service.stop()
    await bus.close()
  }
  try {
    // Services and the gateway find each other at the addresses they actually got (ports may be ephemeral).
    const wired: Record<string, string | undefined> = { ...env }
    for (const { definition, port } of services) {
      const service = await startService(definition, {
        env: wired,
        bus,
        logger,
        defaults: { port, databaseUrl: `sqlite:${file(definition.name)}` },
      })
      running.push(service)
      wired[urlVariable(definition.name)] = service.url
    }
    const gateway = await startGateway({
      env: wired,
      logger,
      defaults: { port: GATEWAY_PORT },
    })
    running.push(gateway)
    return { url: gateway.url, dataDir, running, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
