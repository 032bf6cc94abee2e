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
import { call, eventOf, type Storage, tempDir, testDatabase, waitFor } from '@cafeteria/platform/testing'
import { pointService } from './index.ts'
import type { PointTables } from './store.ts'

/** Test fixture only: the point service on a database of its own, driven through its bus and HTTP. */

export type PointEvent = EventOf<'PointsAccrued' | 'PointsDeducted' | 'PointsRestored'>

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
  const database = await testDatabase(storage)
  const { url } = database
  // The bus is a file, so that every replica reads the one log.
  const scratch = await tempDir('cafe-point-')
  const bus: Bus = openLocalBus({ path: join(scratch.path, 'bus.db') })
  const running: RunningService[] = []
  let inspect: Database<PointTables & PlatformTables> | undefined
  const stop = async () => {
    for (const service of running) await service.stop()
    await inspect?.close()
    await bus.close()
    await database.drop()
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
    const publish: PointFixture['publish'] = async (type, orderId, data, id) => {
      const event = eventOf(type, orderId, data, { id })
      await bus.publish([{ id: event.id, type, payload: JSON.stringify(event) }])
      return event.id
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

/** The kit's `call`, with the content type at hand for the problem+json assertions. */
export async function request(url: string, init: { method?: string; json?: unknown } = {}): Promise<Answer> {
  const answer = await call(url, init)
  return { status: answer.status, type: answer.headers.get('content-type') ?? '', body: answer.body }
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
