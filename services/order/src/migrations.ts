import type { ServiceMigration } from '@cafeteria/platform'

export const migrations: readonly ServiceMigration[] = [
  {
    name: '001_order',
    async up(db, t) {
      await db.schema
        .createTable('order_management')
        .addColumn('id', t.id, (c) => (t.autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('phone_number', 'varchar(11)', (c) => c.notNull())
        .addColumn('product_name', 'varchar(100)', (c) => c.notNull())
        .addColumn('qty', 'integer', (c) => c.notNull())
        .addColumn('amt', 'bigint', (c) => c.notNull())
        .addColumn('status', 'varchar(20)', (c) => c.notNull())
        .addColumn('payment_id', 'bigint')
        .addColumn('create_time', t.timestamp, (c) => c.notNull())
        .execute()
    },
  },
  {
    name: '002_cancel_and_history',
    async up(db, t) {
      await db.schema
        .alterTable('order_management')
        .addColumn('cancel_refused', 'boolean', (c) => c.notNull().defaultTo(false))
        .execute()
      await db.schema
        .createTable('order_history')
        .addColumn('id', t.id, (c) => (t.autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('order_id', 'bigint', (c) => c.notNull())
        .addColumn('status', 'varchar(20)', (c) => c.notNull())
        .addColumn('detail', 'varchar(200)')
        .addColumn('at', t.timestamp, (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('order_history_order')
        .on('order_history')
        .columns(['order_id', 'id'])
        .execute()
    },
  },
  {
    name: '003_idempotency_key',
    async up(db, t) {
      await db.schema
        .createTable('idempotency_key')
        .addColumn('key', 'varchar(100)', (c) => c.primaryKey())
        .addColumn('fingerprint', 'varchar(64)', (c) => c.notNull())
        .addColumn('order_id', 'bigint', (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('idempotency_key_created')
        .on('idempotency_key')
        .column('created_at')
        .execute()
    },
  },
  {
    name: '004_refunded',
    async up(db) {
      await db.schema
        .alterTable('order_management')
        .addColumn('refunded', 'boolean', (c) => c.notNull().defaultTo(false))
        .execute()
    },
  },
  {
    name: '005_pending_index',
    async up(db) {
      // The sweep for orders abandoned while paying looks for old Pending rows.
      await db.schema
        .createIndex('order_status_created')
        .on('order_management')
        .columns(['status', 'create_time'])
        .execute()
    },
  },
  {
    name: '006_cancel_intent',
    async up(db, t) {
      // Set while a cancel is under way: points deducted, cancel not yet recorded (see cancel.ts).
      await db.schema.alterTable('order_management').addColumn('cancel_started_at', t.timestamp).execute()
    },
  },
  {
    name: '007_cancel_intent_index',
    async up(db) {
      // The sweep looks for started cancels every few seconds; nearly every row has none.
      await db.schema
        .createIndex('order_cancel_started')
        .on('order_management')
        .column('cancel_started_at')
        .execute()
    },
  },
  {
    name: '008_cancel_attempts',
    async up(db) {
      // Cancel attempts that may have reached point, so one that never did can take its mark back
      // without dropping another's (see startCancel in store.ts).
      await db.schema
        .alterTable('order_management')
        .addColumn('cancel_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
      // A cancel marked before this counted as one that may have reached point.
      await db
        .updateTable('order_management')
        .set({ cancel_attempts: 1 })
        .where('cancel_started_at', 'is not', null)
        .execute()
    },
  },
]
