import { startGateway } from '@cafeteria/gateway'
import {
  connectJetStream,
  type Env,
  type Logger,
  type RunningService,
  startService,
} from '@cafeteria/platform'
import { findService, GATEWAY_PORT } from './services.ts'

/** Distributed mode: one process runs one service against PostgreSQL/MariaDB and JetStream. */
export async function serveOne(
  name: string,
  env: Env,
  logger: Logger,
): Promise<RunningService & { close(): Promise<void> }> {
  if (name === 'gateway') {
    const gateway = await startGateway({ env, logger, defaults: { port: GATEWAY_PORT } })
    return { ...gateway, close: () => gateway.stop() }
  }
  const entry = findService(name)
  if (!entry) throw new Error(`unknown service "${name}"`)
  const bus = await connectJetStream({
    servers: env.NATS_URL ?? 'nats://127.0.0.1:4222',
    stream: env.NATS_STREAM ?? 'CAFE',
    name,
    logger: logger.child({ service: name, component: 'bus' }),
  })
  try {
    const service = await startService(entry.definition, {
      env,
      bus,
      logger,
      defaults: { port: entry.port, databaseUrl: entry.distributedDatabase },
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
