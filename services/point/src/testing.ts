import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { EventOf, EventType } from '@cafeteria/contracts'
import {
  type Bus,
  createLogger,
  type Database,
  openDatabase,
  openLocalBus,
  type PlatformTables,
  type RunningService,
  startService,
} from '@cafeteria/platform'
import { createConnection } from 'mysql2/promise'
import pg from 'pg'
import { tempDir, uniqueName, waitFor } from '../../../packages/platform/src/testing.ts'
import { pointService } from './index.ts'
import type { PointTables } from './store.ts'

/** Test fixture only: the point service on a database of its own, driven through its bus and HTTP. */

export type PointEvent = EventOf<'PointsAccrued' | 'PointsDeducted' | 'PointsRestored'>

export type Storage = 'sqlite' | 'postgres' | 'mysql'
export const storages: readonly Storage[] = ['sqlite', 'postgres', 'mysql']

const SERVERS = {
  postgres: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432',
  mysql: process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
}

export interface PointFixture {
  /** One base URL per replica. */
  readonly urls: readonly string[]
  readonly url: string
  /** Another connection to the service's database, to look at rows and to arrange odd states. */
  readonly db: Database<PointTables & PlatformTables>['db']
  /** Point events the service published, in the order the bus delivered them. */
  readonly published: PointEvent[]
  /** Publishes an event as its producer would; returns its id. */
  publish<K extends EventType>(
    type: K,
    orderId: number,
    data: EventOf<K>['data'],
    id?: string,
  ): Promise<string>
  /** Publishes an event and waits until the service has handled it (its id is in the inbox). */
  deliver<K extends EventType>(
    type: K,
    orderId: number,
    data: EventOf<K>['data'],
    id?: string,
  ): Promise<string>
  handled(eventId: string): Promise<void>
  stop(): Promise<void>
}

export async function startPoint(
  storage: Storage,
  { replicas = 1, env = {} }: { replicas?: number; env?: Record<string, string> } = {},
): Promise<PointFixture> {
  const name = uniqueName()
  const scratch = await tempDir('cafe-point-')
  const url =
    storage === 'sqlite' ? `sqlite:${join(scratch.path, 'point.db')}` : `${SERVERS[storage]}/${name}`
  const bus: Bus = openLocalBus({ path: join(scratch.path, 'bus.db') })
  const running: RunningService[] = []
  let inspect: Database<PointTables & PlatformTables> | undefined
  const stop = async () => {
    for (const service of running) await service.stop()
    await inspect?.close()
    await bus.close()
    await dropDatabase(storage, name)
    await scratch.remove()
  }
  try {
    for (let i = 0; i < replicas; i++) {
      running.push(
        await startService(pointService, {
          env: {
            POINT_DATABASE_URL: url,
            HOST: '127.0.0.1',
            OPEN_API: 'true',
            POINT_PORT: '0',
            OUTBOX_POLL_MS: '50',
            ...env,
          },
          bus,
          logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
          defaults: { port: 0, databaseUrl: url },
        }),
      )
    }
    inspect = await openDatabase<PointTables & PlatformTables>(url, { poolSize: 2 })
    const db = inspect.db
    const published: PointEvent[] = []
    bus.consume('observer', async (message) => {
      if (message.type.startsWith('Points')) published.push(JSON.parse(message.payload))
    })
    const handled = async (eventId: string) => {
      await waitFor(
        () => db.selectFrom('inbox').select('event_id').where('event_id', '=', eventId).executeTakeFirst(),
        5_000,
        { what: `event ${eventId} to be handled` },
      )
    }
    const publish: PointFixture['publish'] = async (type, orderId, data, id = randomUUID()) => {
      const event = { id, type, source: 'test', orderId, occurredAt: new Date().toISOString(), data }
      await bus.publish([{ id, type, payload: JSON.stringify(event) }])
      return id
    }
    return {
      urls: running.map((s) => s.url),
      url: running[0]?.url ?? '',
      db,
      published,
      publish,
      handled,
      async deliver(type, orderId, data, id) {
        const eventId = await publish(type, orderId, data, id)
        await handled(eventId)
        return eventId
      },
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

async function dropDatabase(storage: Storage, name: string) {
  if (storage === 'postgres') {
    const client = new pg.Client({ connectionString: `${SERVERS.postgres}/postgres` })
    await client.connect()
    try {
      // A closed pool's connections linger for a moment; forcing them off would fail them in
      // this process, so wait for them to go.
      await waitFor(
        () =>
          client
            .query(`drop database if exists "${name}"`)
            .then(() => true)
            .catch(() => false),
        5_000,
        { what: `database ${name} to be dropped`, intervalMs: 25 },
      )
    } finally {
      await client.end()
    }
  } else if (storage === 'mysql') {
    const u = new URL(SERVERS.mysql)
    const connection = await createConnection({
      host: u.hostname,
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
    })
    await connection.query(`drop database if exists \`${name}\``).finally(() => connection.end())
  }
}

export const phone = '01012345679'

/** An Ordered event's data for `amt`. */
export const ordered = (amt: number, overrides: Partial<EventOf<'Ordered'>['data']> = {}) => ({
  phoneNumber: phone,
  productName: 'coffee',
  qty: 1,
  amt,
  paymentId: 1,
  ...overrides,
})

/** The body the order service sends to deduct an order's points. */
export const cancelBody = (orderId: number, amt: number, overrides: Record<string, unknown> = {}) => ({
  orderId,
  phoneNumber: phone,
  productName: 'coffee',
  qty: 1,
  amt,
  paymentId: 1,
  ...overrides,
})

export const cancelFailed = (overrides: Partial<EventOf<'CancelFailed'>['data']> = {}) => ({
  phoneNumber: phone,
  productName: 'coffee',
  qty: 1,
  drinkStatus: 'Receipted' as const,
  ...overrides,
})

export interface Answer {
  readonly status: number
  readonly type: string
  readonly body: any
}

export async function request(url: string, init: { method?: string; json?: unknown } = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    ...(init.json === undefined
      ? {}
      : { body: JSON.stringify(init.json), headers: { 'content-type': 'application/json' } }),
  })
  const text = await response.text()
  const type = response.headers.get('content-type') ?? ''
  return { status: response.status, type, body: type.includes('json') && text ? JSON.parse(text) : text }
}

export const cancelPoint = (url: string, body: unknown) =>
  request(`${url}/points/cancelPoint`, { method: 'PATCH', json: body })

/** The phone's balance as the API shows it (0 before its first entry). */
export async function balance(url: string, phoneNumber = phone): Promise<number> {
  const answer = await request(`${url}/points/search/findByPhoneNumber?phoneNumber=${phoneNumber}`)
  return answer.body._embedded.points[0]?.point ?? 0
}

export async function history(url: string, phoneNumber = phone): Promise<any[]> {
  const answer = await request(
    `${url}/pointHistories/search/findByPhoneNumberOrderByCreateTime?phoneNumber=${phoneNumber}`,
  )
  return answer.body._embedded.pointHistories
}
