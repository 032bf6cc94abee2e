import { type ServiceMigration, schema } from '@cafeteria/platform'

export const migrations: readonly ServiceMigration[] = [
  {
    name: '001_payment',
    async up(db, t) {
      // One payment per order: the key that makes the synchronous call safe to retry.
      await schema.orderRecordTable(db, t, 'payment', schema.columns.amount).execute()
    },
  },
]
