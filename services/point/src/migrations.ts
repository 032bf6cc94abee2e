import { type ServiceMigration, schema } from '@cafeteria/platform'
import { sql } from 'kysely'

export const migrations: readonly ServiceMigration[] = [
  {
    name: '001_point',
    async up(db, t) {
      await schema
        .entityTable(db, t, 'point_balance')
        // One row per phone: the row every change of that phone's points locks first.
        .addColumn('phone_number', 'varchar(11)', (c) => c.notNull().unique())
        // The conditional deduction keeps this true; the check makes any slip fail loudly instead.
        .addColumn('point', 'bigint', (c) => c.notNull().check(sql`point >= 0`))
        .execute()
      await schema
        .entityTable(db, t, 'point_entry')
        .$call(schema.columns.phoneNumber)
        .addColumn('order_id', 'bigint', (c) => c.notNull())
        .addColumn('payment_id', 'bigint', (c) => c.notNull())
        .$call(schema.columns.product)
        .$call(schema.columns.amount)
        .addColumn('point', 'bigint', (c) => c.notNull())
        .addColumn('total_point', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'varchar(10)', (c) => c.notNull())
        .$call(schema.columns.createTime(t))
        // An order accrues, is deducted and is restored at most once, whatever is retried or redelivered.
        .addUniqueConstraint('point_entry_order_kind', ['order_id', 'kind'])
        .execute()
      await schema.index(db, 'point_entry_phone_time', 'point_entry', ['phone_number', 'create_time', 'id'])
      await schema.index(db, 'point_entry_payment', 'point_entry', ['payment_id'])
    },
  },
]
