import { startGateway } from '@cafeteria/gateway'
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
import { findService, GATEWAY_PORT } from './services.ts'

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
  if (name === 'gateway') {
    const gateway = await startGateway({
      env,
      logger,
      defaults: { port: GATEWAY_PORT, shutdownDelayMs: SHUTDOWN_DELAY_MS },
    })
    return { ...gateway, close: () => gateway.stop() }
  }
  const entry = findService(name)
  if (!entry) throw new Error(`unknown service "${name}"`)
  if (entry.definition.staff) {
    const read = configReader(env)
    requireStaffToken(read)
    read.done()
  }
  const bus = await connectJetStream({
    ...natsSettings(env),
    name,
    logger: logger.child({ service: name, component: 'bus' }),
  })
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
        await bus.close()
      },
    }
  } catch (error) {
    await bus.close()
    throw error
  }
}
