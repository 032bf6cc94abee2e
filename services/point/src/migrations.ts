import type { ServiceMigration } from '@cafeteria/platform'
import { sql } from 'kysely'

export const migrations: readonly ServiceMigration[] = [
  {
    name: '001_point',
    async up(db, t) {
      await db.schema
        .createTable('point_balance')
        .addColumn('id', t.id, (c) => (t.autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
        // One row per phone: the row every change of that phone's points locks first.
        .addColumn('phone_number', 'varchar(11)', (c) => c.notNull().unique())
        // The conditional deduction keeps this true; the check makes any slip fail loudly instead.
        .addColumn('point', 'bigint', (c) => c.notNull().check(sql`point >= 0`))
        .execute()
      await db.schema
        .createTable('point_entry')
        .addColumn('id', t.id, (c) => (t.autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('phone_number', 'varchar(11)', (c) => c.notNull())
        .addColumn('order_id', 'bigint', (c) => c.notNull())
        .addColumn('payment_id', 'bigint', (c) => c.notNull())
        .addColumn('product_name', 'varchar(100)', (c) => c.notNull())
        .addColumn('qty', 'integer', (c) => c.notNull())
        .addColumn('amt', 'bigint', (c) => c.notNull())
        .addColumn('point', 'bigint', (c) => c.notNull())
        .addColumn('total_point', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'varchar(10)', (c) => c.notNull())
        .addColumn('create_time', t.timestamp, (c) => c.notNull())
        // An order accrues, is deducted and is restored at most once, whatever is retried or redelivered.
        .addUniqueConstraint('point_entry_order_kind', ['order_id', 'kind'])
        .execute()
      await db.schema
        .createIndex('point_entry_phone_time')
        .on('point_entry')
        .columns(['phone_number', 'create_time', 'id'])
        .execute()
      await db.schema.createIndex('point_entry_payment').on('point_entry').column('payment_id').execute()
    },
  },
]
