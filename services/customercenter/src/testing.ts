/** Test support for this service's suites; nothing here is used at runtime. */
import type { DomainEvent, EventOf } from '@cafeteria/contracts'
import {
  createLogger,
  type Logger,
  openDatabase,
  openLocalBus,
  startService,
  toEnvelope,
} from '@cafeteria/platform'
import { sql } from 'kysely'
import { uniqueName, waitFor } from '../../../packages/platform/src/testing.ts'
import type { MyPageEventType } from './domain.ts'
import { customercenterService } from './index.ts'

export { waitFor }

const SERVERS = {
  postgres: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432',
  mysql: process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
}
export type Storage = 'sqlite' | keyof typeof SERVERS
export const PHONE = '01012345679'

type Data<K extends MyPageEventType> = EventOf<K>['data']

/** Everything the other services would say about one order, consistently. */
export function eventsOf(orderId: number, phoneNumber = PHONE, productName = 'latte') {
  const product = { phoneNumber, productName, qty: 2 }
  const data: { [K in MyPageEventType]: Data<K> } = {
    Ordered: { ...product, amt: 900, paymentId: orderId },
    Receipted: product,
    Made: product,
    OrderCanceled: { ...product, amt: 900, paymentId: orderId, pointsDeducted: 90 },
    CancelFailed: { ...product, drinkStatus: 'Receipted' },
    DrinkCanceled: product,
    PaymentCanceled: { paymentId: orderId, phoneNumber, amt: 900 },
  }
  return <K extends MyPageEventType>(type: K, overrides: Partial<Data<K>> = {}): DomainEvent =>
    toEnvelope('test', { type, orderId, data: { ...data[type], ...overrides } } as never, new Date())
}

/** A copy of an event under a new id: what a producer re-emitting it would send. */
export const reissued = (event: DomainEvent): DomainEvent => ({ ...event, id: crypto.randomUUID() })

export interface Harness {
  readonly url: string
  readonly databaseUrl: string
  publish(events: readonly DomainEvent[]): Promise<void>
  /** GET on the service; the body parsed as JSON. */
  get(path: string): Promise<{ status: number; type: string; body: any }>
  stop(): Promise<void>
}

/** The service on an in-memory bus, with its own fresh database (SQLite in memory or PostgreSQL). */
export async function startCustomercenter(
  options: { env?: Record<string, string>; storage?: Storage; logger?: Logger } = {},
): Promise<Harness> {
  const name = uniqueName()
  const storage = options.storage ?? 'sqlite'
  const databaseUrl = storage === 'sqlite' ? 'sqlite::memory:' : `${SERVERS[storage]}/${name}`
  const bus = openLocalBus({ path: ':memory:' })
  const dropDatabase = async () => {
    if (storage !== 'sqlite') await drop(storage, name)
  }
  let service: Awaited<ReturnType<typeof startService>>
  try {
    service = await startService(customercenterService, {
      env: {
        HOST: '127.0.0.1',
        OPEN_API: 'true',
        CUSTOMERCENTER_PORT: '0',
        CUSTOMERCENTER_DATABASE_URL: databaseUrl,
        NOTIFY_POLL_MS: '50',
        // One event at a time, in publish order, so `settled` can tell when all have been handled.
        CONSUMER_CONCURRENCY: '1',
        ...options.env,
      },
      bus,
      logger: options.logger ?? createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      defaults: { port: 0, databaseUrl },
    })
  } catch (error) {
    await bus.close()
    await dropDatabase()
    throw error
  }
  return {
    url: service.url,
    databaseUrl,
    publish: (events) =>
      bus.publish(events.map((e) => ({ id: e.id, type: e.type, payload: JSON.stringify(e) }))),
    async get(path) {
      const answer = await service.app.inject({ method: 'GET', url: path })
      const type = String(answer.headers['content-type'] ?? '')
      return { status: answer.statusCode, type, body: type.includes('json') ? answer.json() : answer.body }
    },
    async stop() {
      await service.stop()
      await bus.close()
      await dropDatabase()
    },
  }
}

/**
 * Drops a test database once the closed pool's sessions are gone. Not PostgreSQL's `with (force)`:
 * those sessions may still be exiting, and killing one makes its client raise an error here.
 */
async function drop(storage: keyof typeof SERVERS, name: string): Promise<void> {
  const admin = await openDatabase(`${SERVERS[storage]}/${storage === 'postgres' ? 'postgres' : ''}`, {
    create: false,
    poolSize: 1,
  })
  try {
    await waitFor(
      () =>
        sql`drop database if exists ${sql.id(name)}`.execute(admin.db).then(
          () => true,
          (error: { code?: string }) => {
            if (error.code !== '55006') throw error
            return false
          },
        ),
      5000,
      { what: `database ${name} to be free to drop` },
    )
  } finally {
    await admin.close()
  }
}

/** Waits until every event published before has been handled: a marker order published last shows up. */
export async function settled(harness: Harness, marker: number): Promise<void> {
  await harness.publish([eventsOf(marker, '01099999999')('Ordered')])
  await waitFor(
    async () => (await harness.get(`/mypages/search/findByOrderId?orderId=${marker}`)).body.length === 1,
    10_000,
    { what: `marker order ${marker}` },
  )
}
