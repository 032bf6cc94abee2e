import { randomUUID } from 'node:crypto'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { createConnection } from 'mysql2/promise'
import pg from 'pg'
import { freePort } from '../../apps/cafe/src/process.ts'

const postgresServices = ['order', 'payment', 'drink', 'customercenter'] as const

/** What `cafe start --distributed` of one test runs against, on this host's servers. */
export interface DistributedStores {
  /**
   * Free ports for the gateway and every service, a database of this run's own per service
   * (PostgreSQL; MariaDB for point) and a JetStream stream of its own.
   */
  readonly env: Record<string, string>
  /** The PostgreSQL database of a service, for a test that looks at its rows. */
  database(service: string): string
  /** Drops the databases and the stream. */
  drop(): Promise<void>
}

export async function distributedStores(prefix: string): Promise<DistributedStores> {
  const suffix = randomUUID().slice(0, 8)
  const database = (service: string) => `cafe_${prefix}_${suffix}_${service}`
  const stream = `${prefix.toUpperCase()}_${suffix.toUpperCase()}`
  const env: Record<string, string> = {
    NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    NATS_STREAM: stream,
    GATEWAY_PORT: String(await freePort()),
  }
  for (const service of postgresServices) {
    env[`${service.toUpperCase()}_PORT`] = String(await freePort())
    env[`${service.toUpperCase()}_DATABASE_URL`] = `postgres://postgres@127.0.0.1:5432/${database(service)}`
  }
  env.POINT_PORT = String(await freePort())
  env.POINT_DATABASE_URL = `mysql://root@127.0.0.1:3306/${database('point')}`
  return {
    env,
    database,
    async drop() {
      const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' })
      await admin.connect()
      for (const service of postgresServices)
        await admin.query(`drop database if exists "${database(service)}" with (force)`)
      await admin.end()
      const maria = await createConnection({ host: '127.0.0.1', user: 'root' })
      await maria.query(`drop database if exists \`${database('point')}\``)
      await maria.end()
      const nc = await connect({ servers: env.NATS_URL })
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined)
      await nc.close()
    },
  }
}
