import { type Dialect, findById, insertIfAbsent, prepared, type ServiceDb, toIso } from '@cafeteria/platform'
import type { Generated, Selectable } from 'kysely'
import type { Payment, PaymentState } from './domain.ts'

export interface PaymentTables {
  payment: {
    id: Generated<number>
    order_id: number
    phone_number: string
    amt: number
    status: string
    create_time: Date | string
  }
}
type Db = ServiceDb<PaymentTables>

const toPayment = (row: Selectable<PaymentTables['payment']>): Payment => ({
  id: Number(row.id),
  orderId: Number(row.order_id),
  phoneNumber: row.phone_number,
  amt: Number(row.amt),
  status: row.status as Payment['status'],
  createTime: new Date(toIso(row.create_time)),
})

const byOrderId = prepared<PaymentTables, { orderId: number }, Selectable<PaymentTables['payment']>>(
  (db, $) => db.selectFrom('payment').selectAll().where('order_id', '=', $('orderId')),
)

export async function findByOrderId(db: Db, orderId: number): Promise<Payment | undefined> {
  const row = await byOrderId.first(db, { orderId })
  return row && toPayment(row)
}

export const findPayment = (db: Db, id: number): Promise<Payment | undefined> =>
  findById(db, 'payment', id, toPayment)

/**
 * Records the order's payment unless the order already has one (its id is unique here): then
 * undefined, and the caller decides again on what is there.
 */
export async function insertPaymentIfAbsent(
  db: Db,
  dialect: Dialect,
  payment: Omit<Payment, 'id'>,
): Promise<Payment | undefined> {
  const inserted = await insertIfAbsent(db, dialect, 'payment', {
    order_id: payment.orderId,
    phone_number: payment.phoneNumber,
    amt: payment.amt,
    status: payment.status,
    create_time: payment.createTime,
  })
  return inserted ? findByOrderId(db, payment.orderId) : undefined
}

/** Saves a status change over the status it was decided from; false if it changed meanwhile. */
export async function saveStatus(db: Db, payment: Payment, expected: Payment['status']): Promise<boolean> {
  const result = await db
    .updateTable('payment')
    .set({ status: payment.status })
    .where('id', '=', payment.id)
    .where('status', '=', expected)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/**
 * The save loop's step: the order's payment, recorded unless the order has one already, or its
 * status saved over the status it was decided from; undefined if another request got there first.
 */
export async function savePayment(
  db: Db,
  dialect: Dialect,
  payment: PaymentState,
  loaded: Payment | undefined,
): Promise<Payment | undefined> {
  if (!payment) throw new Error('a decided payment is never nothing')
  if (!loaded) return insertPaymentIfAbsent(db, dialect, payment)
  const saved = { ...payment, id: loaded.id }
  return (await saveStatus(db, saved, loaded.status)) ? saved : undefined
}
