import { randomUUID } from 'node:crypto'
import { freePort } from '@cafeteria/cafe/process'
import { type TestDatabase, testDatabase } from '@cafeteria/platform/testing'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'

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
  const databases = new Map<string, TestDatabase>()
  for (const service of postgresServices)
    databases.set(service, await testDatabase('postgres', { prefix: `cafe_${prefix}_${service}_` }))
  databases.set('point', await testDatabase('mysql', { prefix: `cafe_${prefix}_point_` }))
  const database = (service: string) => {
    const found = databases.get(service)
    if (!found) throw new Error(`no database of ${service}`)
    return found.name
  }
  const stream = `${prefix.toUpperCase()}_${suffix.toUpperCase()}`
  const env: Record<string, string> = {
    NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    NATS_STREAM: stream,
    GATEWAY_PORT: String(await freePort()),
  }
  for (const service of [...postgresServices, 'point'])
    env[`${service.toUpperCase()}_PORT`] = String(await freePort())
  for (const [service, { url }] of databases) env[`${service.toUpperCase()}_DATABASE_URL`] = url
  return {
    env,
    database,
    async drop() {
      // The kit's drop waits for the stopped processes' sessions to go.
      await Promise.all([...databases.values()].map((d) => d.drop()))
      const nc = await connect({ servers: env.NATS_URL })
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined)
      await nc.close()
    },
  }
}
