/**
 * One service on a database of its own, with an in-process bus, driven the way the other services
 * drive it: events in, HTTP, and the events it publishes collected by a second consumer on the
 * same bus. What the services' handler suites share.
 */
import { randomUUID } from 'node:crypto'
import type { DomainEvent, EventOf, EventType } from '@cafeteria/contracts'
import {
  type Bus,
  type BusMessage,
  createLogger,
  type Database,
  type Dialect,
  openDatabase,
  openLocalBus,
  type PlatformTables,
  type RunningService,
  type ServiceDb,
  type ServiceDefinition,
  startService,
} from '../index.ts'
import { waitFor } from './basics.ts'
import { type Storage, testDatabase } from './database.ts'

/** An event as its producer would publish it; `id` defaults to a fresh one. */
export function eventOf<K extends EventType>(
  type: K,
  orderId: number,
  data: EventOf<K>['data'],
  { source = 'test', id = randomUUID() }: { source?: string; id?: string } = {},
): EventOf<K> {
  return { id, type, source, orderId, occurredAt: new Date().toISOString(), data } as EventOf<K>
}

/** The same fact announced again under a new event id: what a producer's retry sends. */
export const reissued = <E extends DomainEvent>(event: E): E => ({ ...event, id: randomUUID() })

export interface InjectedAnswer {
  readonly status: number
  readonly body: any
}

export interface ServiceFixture<DB> {
  readonly url: string
  readonly dialect: Dialect
  /** Another connection to the service's database, to arrange states and look at rows. */
  readonly db: ServiceDb<DB>
  /** Events the service published, in bus order (complete after `settle()`). */
  readonly emitted: DomainEvent[]
  /** Puts events on the bus; one with an id the bus already holds is dropped by the bus itself. */
  publish(...events: DomainEvent[]): Promise<void>
  /** Publishes each event in turn and waits until the service has handled it (or dead-lettered it). */
  deliver(...events: DomainEvent[]): Promise<void>
  /** Publishes the events in one batch (handled concurrently) and waits until all are handled. */
  deliverTogether(events: readonly DomainEvent[]): Promise<void>
  /** Waits until the service has handled (or dead-lettered) every one of these events. */
  handled(events: readonly DomainEvent[]): Promise<void>
  /**
   * Hands an event the service has seen to its consumer again, as the bus does when an ack was
   * lost: the same message id, a later attempt. The bus's own id dedupe cannot drop it, so this is
   * what exercises the inbox. Resolves once the consumer has finished with it.
   */
  redeliver(event: DomainEvent, attempt?: number): Promise<void>
  /** Waits until everything the service emitted so far has been published and observed. */
  settle(): Promise<void>
  /** Emitted events of some types, in order. */
  emittedOf(...types: EventType[]): DomainEvent[]
  deadLetters(): Promise<{ event_id: string; type: string; error: string }[]>
  /** An HTTP request on the service (in process); JSON bodies parsed. */
  http(method: 'GET' | 'POST' | 'PATCH', path: string, json?: unknown): Promise<InjectedAnswer>
  stop(): Promise<void>
}

/**
 * Starts `definition` alone on a fresh database of `storage` and an in-memory bus; `now` is the
 * service's clock (a host's clock that runs ahead or behind).
 */
export async function startServiceFixture<DB, C, D>(
  definition: ServiceDefinition<DB, C, D>,
  {
    storage = 'sqlite',
    env = {},
    now,
  }: { storage?: Storage; env?: Record<string, string>; now?: () => Date } = {},
): Promise<ServiceFixture<DB>> {
  const { name } = definition
  const prefix = name.toUpperCase()
  const database = await testDatabase(storage)
  const { url } = database
  const bus = openLocalBus({ path: ':memory:' })
  // The service's consumer as the bus calls it, kept to redeliver a message under the same id.
  let consumerHandle: ((message: BusMessage) => Promise<void>) | undefined
  const watchedBus: Bus = {
    kind: bus.kind,
    publish: (messages) => bus.publish(messages),
    consume(consumer, handle, options) {
      if (consumer === name) consumerHandle = handle
      return bus.consume(consumer, handle, options)
    },
    health: () => bus.health(),
    close: () => bus.close(),
  }
  let service: RunningService | undefined
  let inspect: Database<DB & PlatformTables> | undefined
  const stop = async () => {
    await service?.stop()
    await inspect?.close()
    await bus.close()
    await database.drop()
  }
  try {
    service = await startService(definition, {
      env: {
        HOST: '127.0.0.1',
        OPEN_API: 'true',
        [`${prefix}_PORT`]: '0',
        [`${prefix}_DATABASE_URL`]: url,
        [`${prefix}_DB_POOL_SIZE`]: '8',
        OUTBOX_POLL_MS: '50',
        ...env,
      },
      bus: watchedBus,
      logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      defaults: { port: 0, databaseUrl: url },
      ...(now && { now }),
    })
    inspect = await openDatabase<DB & PlatformTables>(url, { poolSize: 2 })
    const db = inspect.db as unknown as ServiceDb<DB>
    const platform = inspect.db as unknown as ServiceDb<object>
    const running = service

    const emitted: DomainEvent[] = []
    const markers = new Set<string>()
    bus.consume(
      'test-observer',
      async (message) => {
        if (message.type === 'TestMarker') markers.add(message.id)
        else {
          const event = JSON.parse(message.payload) as DomainEvent
          if (event.source === name) emitted.push(event)
        }
      },
      { concurrency: 1 },
    )

    const handled = (ids: readonly string[]) =>
      waitFor(
        async () => {
          const rows = await platform
            .selectFrom('inbox')
            .select('event_id')
            .where('consumer', '=', name)
            .where('event_id', 'in', ids)
            .execute()
          return rows.length === new Set(ids).size
        },
        5_000,
        { what: `${name} to handle ${ids.join(', ')}` },
      )
    const publish = (...events: DomainEvent[]) =>
      bus.publish(events.map((e) => ({ id: e.id, type: e.type, payload: JSON.stringify(e) })))

    return {
      url: running.url,
      dialect: inspect.dialect,
      db,
      emitted,
      publish,
      async deliver(...events) {
        for (const event of events) {
          await publish(event)
          await handled([event.id])
        }
      },
      async deliverTogether(events) {
        await publish(...events)
        await handled(events.map((e) => e.id))
      },
      async handled(events) {
        await handled(events.map((e) => e.id))
      },
      async redeliver(event, attempt = 2) {
        if (!consumerHandle) throw new Error(`${name} consumes no events`)
        await consumerHandle({ id: event.id, type: event.type, payload: JSON.stringify(event), attempt })
      },
      async settle() {
        await waitFor(
          async () => {
            const row = await platform
              .selectFrom('outbox')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
            return Number(row.n) === 0
          },
          5_000,
          { what: `${name}'s outbox to be relayed` },
        )
        // The observer takes one message at a time in bus order: once it sees the marker, it has
        // seen everything published before it.
        const marker = randomUUID()
        await bus.publish([{ id: marker, type: 'TestMarker', payload: '{}' }])
        await waitFor(() => markers.has(marker), 5_000, { what: 'the observer to catch up' })
      },
      emittedOf: (...types) => emitted.filter((e) => types.includes(e.type)),
      deadLetters: () =>
        platform
          .selectFrom('dead_letter')
          .select(['event_id', 'type', 'error'])
          .where('consumer', '=', name)
          .execute(),
      async http(method, path, json) {
        const answer = await running.app.inject({
          method,
          url: path,
          ...(json === undefined ? {} : { payload: json as object }),
        })
        const type = String(answer.headers['content-type'] ?? '')
        return { status: answer.statusCode, body: type.includes('json') ? answer.json() : answer.body }
      },
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
