import { type DomainEvent, decodeEvent, type EventOf, type EventType } from '@cafeteria/contracts'
import type { Kysely, Transaction } from 'kysely'
import type { BusMessage } from '../bus/port.ts'
import type { Database } from '../db/database.ts'
import type { PlatformTables } from '../db/platform-tables.ts'
import { insertIfAbsent } from '../db/queries.ts'
import { inTransaction } from '../db/transaction.ts'
import type { Logger } from '../logger.ts'

/** Runs inside the consumer's transaction: its effects commit together with the inbox record. */
export type EventHandler<DB, K extends EventType = EventType> = (
  trx: Transaction<DB & PlatformTables>,
  event: EventOf<K>,
) => Promise<void>

export type EventHandlers<DB> = { readonly [K in EventType]?: EventHandler<DB, K> }

export interface ConsumerOptions<DB> {
  readonly consumer: string
  readonly database: Database<DB & PlatformTables>
  readonly handlers: EventHandlers<DB>
  readonly log: Logger
  /** Attempts before a failing event becomes a dead letter. */
  readonly maxAttempts: number
}

export type Outcome = 'handled' | 'duplicate' | 'ignored' | 'dead-lettered'

/**
 * Turns a bus message into a handler call with the reliability rules applied once for every
 * service: events nobody here handles are acknowledged untouched; an invalid event is
 * dead-lettered at once; the inbox row and the handler's effects commit in one transaction, so a
 * redelivered event changes nothing; a handler that keeps failing is dead-lettered after
 * `maxAttempts` instead of blocking the stream. Rejecting means "redeliver later".
 */
export function createConsumer<DB>(options: ConsumerOptions<DB>) {
  const { consumer, database, handlers, log, maxAttempts } = options

  /**
   * Records the dead letter together with the inbox entry, so a redelivery of the same event (a
   * crash before the ack) is a duplicate rather than a second dead letter or a late effect.
   */
  async function deadLetter(message: BusMessage, error: string): Promise<Outcome> {
    const recorded = await database.db.transaction().execute(async (trx) => {
      const tx = trx as unknown as Kysely<PlatformTables>
      const now = new Date()
      if (
        !(await insertIfAbsent(tx, database.dialect, 'inbox', {
          consumer,
          event_id: message.id,
          processed_at: now,
        }))
      ) {
        return false
      }
      await tx
        .insertInto('dead_letter')
        .values({
          consumer,
          event_id: message.id,
          type: message.type,
          payload: message.payload,
          headers: message.headers ? JSON.stringify(message.headers) : null,
          error: error.slice(0, 4000),
          attempts: message.attempt,
          failed_at: now,
        })
        .execute()
      return true
    })
    if (!recorded) return 'duplicate'
    log.error(
      { consumer, eventId: message.id, type: message.type, attempts: message.attempt, error },
      'dead-lettered',
    )
    return 'dead-lettered'
  }

  async function apply(event: DomainEvent): Promise<Outcome> {
    const handler = handlers[event.type] as EventHandler<DB> | undefined
    if (!handler) return 'ignored'
    return inTransaction(database.db, async (trx) => {
      const inserted = await insertIfAbsent(
        trx as unknown as Kysely<PlatformTables>,
        database.dialect,
        'inbox',
        {
          consumer,
          event_id: event.id,
          processed_at: new Date(),
        },
      )
      if (!inserted) return 'duplicate' as const
      await handler(trx as Transaction<DB & PlatformTables>, event as never)
      return 'handled' as const
    })
  }

  return async function handle(message: BusMessage): Promise<Outcome> {
    if (!Object.hasOwn(handlers, message.type)) return 'ignored'
    const decoded = decodeEvent(message.payload)
    if (!decoded.ok) return deadLetter(message, `invalid event: ${decoded.reason}`)
    try {
      return await apply(decoded.event)
    } catch (error) {
      if (message.attempt >= maxAttempts) return deadLetter(message, errorText(error))
      log.warn(
        { consumer, eventId: message.id, type: message.type, attempt: message.attempt, err: error },
        'handler failed; will retry',
      )
      throw error
    }
  }
}

const errorText = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error)
