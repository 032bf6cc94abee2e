/** Test support for this service's suites; nothing here is used at runtime. */
import { type DomainEvent, type EventOf, pointsFor } from '@cafeteria/contracts'
import { createLogger, type Logger, openLocalBus, startService, toEnvelope } from '@cafeteria/platform'
import { type Storage, testDatabase, waitFor } from '@cafeteria/platform/testing'
import type { MyPageEventType } from './domain.ts'
import { customercenterService } from './index.ts'

export const PHONE = '01012345679'

type Data<K extends MyPageEventType> = EventOf<K>['data']

/** Everything the other services would say about one order, consistently. */
export function eventsOf(orderId: number, phoneNumber = PHONE, productName = 'latte') {
  const product = { phoneNumber, productName, qty: 2 }
  const data: { [K in MyPageEventType]: Data<K> } = {
    Ordered: { ...product, amt: 900, paymentId: orderId },
    Receipted: product,
    Made: product,
    OrderCanceled: { ...product, amt: 900, paymentId: orderId, pointsDeducted: pointsFor(900) },
    CancelFailed: { ...product, drinkStatus: 'Receipted' },
    DrinkCanceled: product,
    PaymentCanceled: { paymentId: orderId, phoneNumber, amt: 900 },
  }
  return <K extends MyPageEventType>(type: K, overrides: Partial<Data<K>> = {}): DomainEvent =>
    toEnvelope('test', { type, orderId, data: { ...data[type], ...overrides } } as never, new Date())
}

export interface Harness {
  readonly url: string
  readonly databaseUrl: string
  publish(events: readonly DomainEvent[]): Promise<void>
  /** GET on the service; the body parsed as JSON. */
  get(path: string): Promise<{ status: number; type: string; body: any }>
  stop(): Promise<void>
}

/** The service on an in-memory bus, with its own fresh database of `storage` (SQLite by default). */
export async function startCustomercenter(
  options: { env?: Record<string, string>; storage?: Storage; logger?: Logger } = {},
): Promise<Harness> {
  const database = await testDatabase(options.storage ?? 'sqlite')
  const databaseUrl = database.url
  const bus = openLocalBus({ path: ':memory:' })
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
    await database.drop()
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
      await database.drop()
    },
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
