import { randomUUID } from 'node:crypto'
import type { DomainEvent, NewEvent } from '@cafeteria/contracts'
import type { Kysely } from 'kysely'
import type { PlatformTables } from '../db/platform-tables.ts'

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
  await trx
    .insertInto('outbox')
    .values(
      events.map((event) => ({
        event_id: event.id,
        type: event.type,
        payload: JSON.stringify(event),
        headers: encodedHeaders,
        created_at: now,
      })),
    )
    .execute()
}
