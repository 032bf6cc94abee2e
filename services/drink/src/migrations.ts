import type { ServiceMigration } from '@cafeteria/platform'

export const migrations: readonly ServiceMigration[] = [
  {
    name: '001_drink',
    async up(db, t) {
      await db.schema
        .createTable('drink')
        .addColumn('id', t.id, (c) => (t.autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))
        // One ticket per order, whatever the broker redelivers.
        .addColumn('order_id', 'bigint', (c) => c.notNull().unique())
        .addColumn('phone_number', 'varchar(11)', (c) => c.notNull())
        .addColumn('product_name', 'varchar(100)', (c) => c.notNull())
        .addColumn('qty', 'integer', (c) => c.notNull())
        .addColumn('status', 'varchar(20)', (c) => c.notNull())
        .addColumn('create_time', t.timestamp, (c) => c.notNull())
        .execute()
      await db.schema.createIndex('drink_status_id').on('drink').columns(['status', 'id']).execute()
    },
  },
  {
    name: '002_cancel_refused',
    async up(db) {
      await db.schema
        .alterTable('drink')
        .addColumn('cancel_refused', 'boolean', (c) => c.notNull().defaultTo(false))
        .execute()
    },
  },
  {
    name: '003_ticket_times',
    async up(db, t) {
      for (const column of ['receipted_time', 'made_time', 'status_time']) {
        await db.schema.alterTable('drink').addColumn(column, t.timestamp).execute()
      }
      // The board's recent changes.
      await db.schema.createIndex('drink_status_time').on('drink').column('status_time').execute()
    },
  },
  {
    name: '004_ticket_amount',
    async up(db) {
      // What the customer paid, for the barista's board. Null on tickets from before it was kept.
      await db.schema.alterTable('drink').addColumn('amt', 'bigint').execute()
    },
  },
]
