import type { Generated } from 'kysely'
import type { ServiceMigration } from './migrate.ts'
import { columns, createEntityTable, createIndex } from './tables.ts'

/** Tables the reliability core keeps in every service's own database. */
export interface PlatformTables {
  outbox: {
    id: Generated<number>
    event_id: string
    type: string
    payload: string
    headers: string | null
    created_at: Date | string
    /** Publishes the bus refused; at the relay's `maxAttempts` the row is set aside as a dead letter. */
    attempts: Generated<number>
    /** After a refusal, the relay passes the row over until then, so the rows behind it flow. */
    retry_at: Date | string | null
  }
  inbox: { consumer: string; event_id: string; processed_at: Date | string }
  dead_letter: {
    id: Generated<number>
    consumer: string
    event_id: string
    type: string
    payload: string
    headers: string | null
    error: string
    attempts: number
    failed_at: Date | string
    /** Set by `cafe dlq replay`; the service's replay worker takes the letter and clears it. */
    replay_requested_at: Date | string | null
  }
  /** Poison failures of an event not yet handled, counted across deliveries, replicas and restarts. */
  consumer_failure: { consumer: string; event_id: string; failures: number; failed_at: Date | string }
  /** Outbox rows the bus refused `maxAttempts` times, set aside so the rows after them flow. */
  outbox_dead_letter: {
    id: Generated<number>
    event_id: string
    type: string
    payload: string
    headers: string | null
    error: string
    attempts: number
    created_at: Date | string
    failed_at: Date | string
  }
}

export const platformMigrations: readonly ServiceMigration[] = [
  {
    name: '001_outbox_inbox_dead_letter',
    async up(db, t) {
      await createEntityTable(db, t, 'outbox')
        .addColumn('event_id', 'varchar(64)', (c) => c.notNull().unique())
        .$call(columns.event)
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('inbox')
        .$call(columns.consumedEvent)
        .addColumn('processed_at', t.timestamp, (c) => c.notNull())
        .addPrimaryKeyConstraint('inbox_pk', ['consumer', 'event_id'])
        .execute()
      await createIndex(db, 'inbox_processed_at', 'inbox', ['processed_at'])
      await createEntityTable(db, t, 'dead_letter')
        .$call(columns.consumedEvent)
        .$call(columns.event)
        .$call(columns.failure)
        .addColumn('failed_at', t.timestamp, (c) => c.notNull())
        .execute()
    },
  },
  {
    // Replay is requested in the database, so the CLI needs neither the service's code nor the broker.
    name: '002_dead_letter_replay',
    async up(db, t) {
      await db.schema.alterTable('dead_letter').addColumn('replay_requested_at', t.timestamp).execute()
      await createIndex(db, 'dead_letter_replay_requested_at', 'dead_letter', ['replay_requested_at'])
    },
  },
  {
    // Counted apart from the bus's delivery count, which transient failures inflate (see consumer.ts).
    name: '003_consumer_failure',
    async up(db, t) {
      await db.schema
        .createTable('consumer_failure')
        .$call(columns.consumedEvent)
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('failed_at', t.timestamp, (c) => c.notNull())
        .addPrimaryKeyConstraint('consumer_failure_pk', ['consumer', 'event_id'])
        .execute()
    },
  },
  {
    // A row the bus keeps refusing waits between tries and is then set aside (see relay.ts).
    name: '004_outbox_dead_letter',
    async up(db, t) {
      await db.schema
        .alterTable('outbox')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
      await db.schema.alterTable('outbox').addColumn('retry_at', t.timestamp).execute()
      await createEntityTable(db, t, 'outbox_dead_letter')
        .addColumn('event_id', 'varchar(64)', (c) => c.notNull())
        .$call(columns.event)
        .$call(columns.failure)
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('failed_at', t.timestamp, (c) => c.notNull())
        .execute()
    },
  },
]
