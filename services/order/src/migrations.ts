import { type ServiceMigration, schema } from '@cafeteria/platform'

export const migrations: readonly ServiceMigration[] = [
  {
    name: '001_order',
    async up(db, t) {
      await schema
        .entityTable(db, t, 'order_management')
        .$call(schema.columns.phoneNumber)
        .$call(schema.columns.product)
        .$call(schema.columns.amount)
        .$call(schema.columns.status)
        .addColumn('payment_id', 'bigint')
        .$call(schema.columns.createTime(t))
        .execute()
    },
  },
  {
    name: '002_cancel_and_history',
    async up(db, t) {
      await schema.flag(db, 'order_management', 'cancel_refused')
      await schema
        .entityTable(db, t, 'order_history')
        .addColumn('order_id', 'bigint', (c) => c.notNull())
        .$call(schema.columns.status)
        .addColumn('detail', 'varchar(200)')
        .addColumn('at', t.timestamp, (c) => c.notNull())
        .execute()
      await schema.index(db, 'order_history_order', 'order_history', ['order_id', 'id'])
    },
  },
  {
    name: '003_idempotency_key',
    async up(db, t) {
      await schema
        .keyedTable(db, 'idempotency_key', 'key', 'varchar(100)')
        .addColumn('fingerprint', 'varchar(64)', (c) => c.notNull())
        .addColumn('order_id', 'bigint', (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .execute()
      await schema.index(db, 'idempotency_key_created', 'idempotency_key', ['created_at'])
    },
  },
  {
    name: '004_refunded',
    async up(db) {
      await schema.flag(db, 'order_management', 'refunded')
    },
  },
  {
    name: '005_pending_index',
    async up(db) {
      // The sweep for orders abandoned while paying looks for old Pending rows.
      await schema.index(db, 'order_status_created', 'order_management', ['status', 'create_time'])
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
      await schema.index(db, 'order_cancel_started', 'order_management', ['cancel_started_at'])
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
