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
]
