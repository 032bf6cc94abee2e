import { type ServiceMigration, schema } from '@cafeteria/platform'

export const migrations: readonly ServiceMigration[] = [
  {
    name: '001_drink',
    async up(db, t) {
      // One ticket per order, whatever the broker redelivers.
      await schema.orderRecordTable(db, t, 'drink', schema.columns.product).execute()
      await schema.index(db, 'drink_status_id', 'drink', ['status', 'id'])
    },
  },
  {
    name: '002_cancel_refused',
    async up(db) {
      await schema.flag(db, 'drink', 'cancel_refused')
    },
  },
  {
    name: '003_ticket_times',
    async up(db, t) {
      for (const column of ['receipted_time', 'made_time', 'status_time']) {
        await db.schema.alterTable('drink').addColumn(column, t.timestamp).execute()
      }
      // The board's recent changes.
      await schema.index(db, 'drink_status_time', 'drink', ['status_time'])
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
