import { type ServiceMigration, schema } from '@cafeteria/platform'

const facts = [
  'ordered',
  'receipted',
  'made',
  'cancel_requested',
  'cancel_failed',
  'drink_canceled',
  'payment_canceled',
] as const

export const migrations: readonly ServiceMigration[] = [
  {
    name: '001_mypage_notification',
    async up(db, t) {
      let mypage = schema
        .entityTable(db, t, 'mypage')
        // One row per order, whatever order and how often its events arrive.
        .addColumn('order_id', 'bigint', (c) => c.notNull().unique())
        .$call(schema.columns.phoneNumber)
        // Null until an event carrying them arrives (not every event carries every detail).
        .addColumn('product_name', 'varchar(100)')
        .addColumn('qty', 'integer')
        .addColumn('amt', 'bigint')
        // Derived from the facts on every write; kept for readers of the table.
        .$call(schema.columns.status)
      for (const fact of facts) {
        mypage = mypage.addColumn(fact, 'boolean', (c) => c.notNull().defaultTo(false))
      }
      await mypage.execute()
      await schema.index(db, 'mypage_phone', 'mypage', ['phone_number', 'order_id'])

      await schema
        .entityTable(db, t, 'notification')
        .addColumn('order_id', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'varchar(20)', (c) => c.notNull())
        .$call(schema.columns.phoneNumber)
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(10)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', t.timestamp, (c) => c.notNull())
        .addColumn('last_error', 'varchar(1000)')
        .$call(schema.columns.createTime(t))
        .addColumn('sent_time', t.timestamp)
        // Never two messages for the same change, even if its event comes again under a new id.
        .addUniqueConstraint('notification_order_kind', ['order_id', 'kind'])
        .execute()
      await schema.index(db, 'notification_due', 'notification', ['status', 'next_attempt_at'])
      await schema.index(db, 'notification_phone', 'notification', ['phone_number', 'id'])
    },
  },
  {
    name: '002_sign_in',
    async up(db, t) {
      // One code per phone: a new one replaces the old. Only a keyed hash of it is kept.
      await schema
        .keyedTable(db, 'sign_in_code', 'phone_number', 'varchar(11)')
        .addColumn('code_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('expires_at', t.timestamp, (c) => c.notNull())
        .addColumn('tries', 'integer', (c) => c.notNull())
        .addColumn('window_started_at', t.timestamp, (c) => c.notNull())
        .addColumn('sent_in_window', 'integer', (c) => c.notNull())
        .execute()
      // A session by the keyed hash of its id: the table alone cannot be used to sign in.
      await schema
        .keyedTable(db, 'customer_session', 'id', 'varchar(64)')
        .$call(schema.columns.phoneNumber)
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('expires_at', t.timestamp, (c) => c.notNull())
        .addColumn('ended_at', t.timestamp)
        .execute()
    },
  },
]
