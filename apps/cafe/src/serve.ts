import {
  configReader,
  connectJetStream,
  type Env,
  type Logger,
  natsSettings,
  type RunningService,
  requireStaffToken,
  startService,
} from '@cafeteria/platform'
import { findService } from './services.ts'

/**
 * A process of distributed mode has balancers in front of it (the gateway's, order's, a
 * Kubernetes Service): on SIGTERM it keeps serving this long after turning not ready, a few of
 * their readiness checks (every 500 ms), before it closes its listener.
 */
const SHUTDOWN_DELAY_MS = 2000

/** Distributed mode: one process runs one service against PostgreSQL/MariaDB and JetStream. */
export async function serveOne(
  name: string,
  env: Env,
  logger: Logger,
): Promise<RunningService & { close(): Promise<void> }> {
  const entry = findService(name)
  if (!entry) throw new Error(`unknown service "${name}"`)
  if (entry.definition.staff) {
    const read = configReader(env)
    requireStaffToken(read)
    read.done()
  }
  // Only a service that keeps data has events to publish (its outbox) or to consume.
  const bus = entry.definition.migrations
    ? await connectJetStream({
        ...natsSettings(env),
        name,
        logger: logger.child({ service: name, component: 'bus' }),
      })
    : undefined
  try {
    const service = await startService(entry.definition, {
      env,
      bus,
      logger,
      defaults: {
        port: entry.port,
        databaseUrl: entry.distributedDatabase,
        shutdownDelayMs: SHUTDOWN_DELAY_MS,
      },
    })
    return {
      ...service,
      async close() {
        await service.stop()
        await bus?.close()
      },
    }
  } catch (error) {
    await bus?.close()
    throw error
  }
}
