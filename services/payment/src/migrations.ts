import type { ServiceMigration } from '@cafeteria/platform'

export const migrations: readonly ServiceMigration[] = [
  {
    name: '001_payment',
    async up(db, t) {
      await db.schema
        .createTable('payment')
        .addColumn('id', t.id, (c) => (t.autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
        // One payment per order: the key that makes the synchronous call safe to retry.
        .addColumn('order_id', 'bigint', (c) => c.notNull().unique())
        .addColumn('phone_number', 'varchar(11)', (c) => c.notNull())
        .addColumn('amt', 'bigint', (c) => c.notNull())
        .addColumn('status', 'varchar(20)', (c) => c.notNull())
        .addColumn('create_time', t.timestamp, (c) => c.notNull())
        .execute()
    },
  },
]
