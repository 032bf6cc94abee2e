import { type DomainEvent, decodeEvent, type EventOf, type EventType } from '@cafeteria/contracts'
import type { Kysely, Transaction } from 'kysely'
import type { BusMessage } from '../bus/port.ts'
import type { Database } from '../db/database.ts'
import type { PlatformTables } from '../db/platform-tables.ts'
import { insertIfAbsent } from '../db/queries.ts'
import { inTransaction } from '../db/transaction.ts'
import type { Logger } from '../logger.ts'
import type { DeadLetter, ReplayOutcome } from './dead-letters.ts'
import { countFailure, forgetFailures } from './failure-count.ts'
import { asTransient } from './transient.ts'

/** Runs inside the consumer's transaction: its effects commit together with the inbox record. */
export type EventHandler<DB, K extends EventType = EventType> = (
  trx: Transaction<DB & PlatformTables>,
  event: EventOf<K>,
) => Promise<void>

export type EventHandlers<DB> = { readonly [K in EventType]?: EventHandler<DB, K> }

/**
 * Exactly the handlers of the `K` events: a service's handlers are typed with the list of events it
 * declares it consumes, so a handler missing from the list, or listed without a handler, does not
 * compile (and the list is what the flows table in the contracts is checked against).
 */
export type EventHandlersFor<DB, K extends EventType> = { readonly [T in K]: EventHandler<DB, T> }

export interface ConsumerOptions<DB> {
  readonly consumer: string
  readonly database: Database<DB & PlatformTables>
  readonly handlers: EventHandlers<DB>
  readonly log: Logger
  /** Poison failures before an event becomes a dead letter; transient failures never count. */
  readonly maxAttempts: number
}

export type Outcome = 'handled' | 'duplicate' | 'ignored' | 'dead-lettered'

export interface Consumer {
  /**
   * Handles one delivery; rejecting means "redeliver later", with a `TransientError` when the
   * failure was transient (see transient.ts).
   */
  handle(message: BusMessage): Promise<Outcome>
  /** Replays a dead letter marked for replay (see dead-letters.ts). */
  replay(letter: DeadLetter): Promise<ReplayOutcome>
}

/**
 * Turns a bus message into a handler call with the reliability rules applied once for every
 * service: events nobody here handles are acknowledged untouched; an invalid event is
 * dead-lettered at once; the inbox row and the handler's effects commit in one transaction, so a
 * redelivered event changes nothing; a handler that keeps failing is dead-lettered after
 * `maxAttempts` poison failures instead of blocking the stream, and can be replayed from there once
 * its cause is fixed. A transient failure (a database away, a deadlock, a lock timeout, a callee
 * unavailable) says nothing about the event: it is retried for as long as it takes and never
 * counts towards the dead letters.
 */
export function createConsumer<DB>(options: ConsumerOptions<DB>): Consumer {
  const { consumer, database, handlers, log, maxAttempts } = options
  const platformDb = database.db as unknown as Kysely<PlatformTables>

  /**
   * Records the dead letter together with the inbox entry, so a redelivery of the same event (a
   * crash before the ack) is a duplicate rather than a second dead letter or a late effect.
   */
  async function deadLetter(message: BusMessage, error: string, failures = 1): Promise<Outcome> {
    const recorded = await database.db.transaction().execute(async (trx) => {
      const tx = trx as unknown as Kysely<PlatformTables>
      await forgetFailures(tx, { consumer, eventId: message.id })
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
          // The bus's count may have started again after a crash; the failures are counted apart.
          attempts: Math.max(message.attempt, failures),
          failed_at: now,
        })
        .execute()
      return true
    })
    if (!recorded) return 'duplicate'
    log.error(
      { consumer, eventId: message.id, type: message.type, attempt: message.attempt, failures, error },
      'dead-lettered',
    )
    return 'dead-lettered'
  }

  /** The inbox row and the handler's effects, in the caller's transaction. */
  async function applyIn(
    trx: Transaction<DB & PlatformTables>,
    event: DomainEvent,
    failedBefore = false,
  ): Promise<Outcome> {
    const handler = handlers[event.type] as EventHandler<DB> | undefined
    if (!handler) return 'ignored'
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
    if (!inserted) return 'duplicate'
    await handler(trx, event as never)
    // A redelivery may come after counted failures: they go with the success.
    if (failedBefore) {
      await forgetFailures(trx as unknown as Kysely<PlatformTables>, { consumer, eventId: event.id })
    }
    return 'handled'
  }

  async function attempt(message: BusMessage): Promise<Outcome> {
    const decoded = decodeEvent(message.payload)
    if (!decoded.ok) return deadLetter(message, `invalid event: ${decoded.reason}`)
    const event = decoded.event
    try {
      return await database.transaction((trx) => applyIn(trx, event, message.attempt > 1))
    } catch (error) {
      // Thrown on as transient by handle(), uncounted.
      if (asTransient(error, database.dialect)) throw error
      const key = { consumer, eventId: message.id }
      const failures = await countFailure(platformDb, database.dialect, key)
      if (failures >= maxAttempts) return deadLetter(message, errorText(error), failures)
      log.warn(
        { consumer, eventId: message.id, type: message.type, attempt: message.attempt, failures, err: error },
        'handler failed; will retry',
      )
      throw error
    }
  }

  async function handle(message: BusMessage): Promise<Outcome> {
    if (!Object.hasOwn(handlers, message.type)) return 'ignored'
    try {
      return await attempt(message)
    } catch (error) {
      // Recording a failure or a dead letter can meet the same fault as the handler did.
      const transient = asTransient(error, database.dialect)
      if (!transient) throw error
      log.warn(
        {
          consumer,
          eventId: message.id,
          type: message.type,
          attempt: message.attempt,
          reason: transient.reason,
          err: error,
        },
        'handler met a transient fault; will retry',
      )
      throw transient
    }
  }

  /**
   * Runs a letter marked for replay through the same decoding and handler as a delivery, in one
   * transaction with deleting the letter and the inbox row recorded with it: on success the effect
   * is committed and the letter gone; on failure nothing changed but the letter's error, attempt
   * count and mark, so it stays visible and is not retried until someone asks again.
   */
  async function replay(letter: DeadLetter): Promise<ReplayOutcome> {
    let claimed = false
    try {
      claimed = await inTransaction(database.db, async (trx) => {
        const tx = trx as unknown as Kysely<PlatformTables>
        // Deleting the marked row is the claim: a replica coming second finds nothing to delete.
        const taken = await tx
          .deleteFrom('dead_letter')
          .where('id', '=', letter.id)
          .where('consumer', '=', consumer)
          .where('replay_requested_at', 'is not', null)
          .executeTakeFirst()
        if (Number(taken.numDeletedRows) === 0) return false
        await tx
          .deleteFrom('inbox')
          .where('consumer', '=', consumer)
          .where('event_id', '=', letter.eventId)
          .execute()
        const decoded = decodeEvent(letter.payload)
        if (!decoded.ok) throw new Refused(`invalid event: ${decoded.reason}`)
        if ((await applyIn(trx, decoded.event)) === 'ignored') {
          throw new Refused(`${consumer} has no handler for ${decoded.event.type}`)
        }
        return true
      })
    } catch (error) {
      const text = errorText(error)
      await (database.db as unknown as Kysely<PlatformTables>)
        .updateTable('dead_letter')
        .set((eb) => ({
          error: text.slice(0, 4000),
          attempts: eb('attempts', '+', 1),
          failed_at: new Date(),
          replay_requested_at: null,
        }))
        .where('id', '=', letter.id)
        .where('replay_requested_at', 'is not', null)
        .execute()
      log.error({ consumer, eventId: letter.eventId, deadLetter: letter.id, error: text }, 'replay failed')
      return 'failed'
    }
    if (!claimed) return 'gone'
    log.info({ consumer, eventId: letter.eventId, deadLetter: letter.id }, 'dead letter replayed')
    return 'replayed'
  }

  return { handle, replay }
}

/** A replay refused by rule rather than by a failing handler: recorded as its reason alone, as at first. */
class Refused extends Error {}

const errorText = (error: unknown) =>
  error instanceof Refused
    ? error.message
    : error instanceof Error
      ? `${error.name}: ${error.message}`
      : String(error)
