import { randomUUID } from 'node:crypto'
import type { DomainEvent, NewEvent } from '@cafeteria/contracts'
import type { Kysely } from 'kysely'
import type { PlatformTables } from '../db/platform-tables.ts'
import { prepared } from '../db/prepared.ts'

/** Completes a producer's event with its identity: a unique id (the dedupe key), source and time. */
export function toEnvelope(source: string, event: NewEvent, now: Date): DomainEvent {
  return { id: randomUUID(), source, occurredAt: now.toISOString(), ...event } as DomainEvent
}

/**
 * Writes events into the outbox inside the caller's transaction: they are published if and only
 * if the state change that caused them commits.
 */
export async function appendToOutbox(
  trx: Kysely<PlatformTables>,
  events: readonly DomainEvent[],
  headers?: Readonly<Record<string, string>>,
): Promise<void> {
  if (events.length === 0) return
  const now = new Date()
  const encodedHeaders = headers && Object.keys(headers).length > 0 ? JSON.stringify(headers) : null
  const rows = events.map((event) => ({
    eventId: event.id,
    type: event.type,
    payload: JSON.stringify(event),
    headers: encodedHeaders,
    createdAt: now,
  }))
  const [only] = rows
  if (rows.length === 1 && only) {
    await insertEvent.execute(trx, only)
    return
  }
  // Several in one statement: on MariaDB, inserts one by one can deadlock with the relay's delete.
  await trx
    .insertInto('outbox')
    .values(
      rows.map((row) => ({
        event_id: row.eventId,
        type: row.type,
        payload: row.payload,
        headers: row.headers,
        created_at: row.createdAt,
      })),
    )
    .execute()
}

const insertEvent = prepared<
  PlatformTables,
  { eventId: string; type: string; payload: string; headers: string | null; createdAt: Date },
  never
>((db, $) =>
  db.insertInto('outbox').values({
    event_id: $('eventId'),
    type: $('type'),
    payload: $('payload'),
    headers: $('headers'),
    created_at: $('createdAt'),
  }),
)
