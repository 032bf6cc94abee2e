import {
  type Dialect,
  findById,
  findRows,
  insertReturningId,
  prepared,
  type ServiceDb,
  toIso,
} from '@cafeteria/platform'
import type { Generated, Selectable } from 'kysely'
import type { EntryDraft, EntryKind, PointEntry } from './domain.ts'

export interface PointTables {
  point_balance: {
    id: Generated<number>
    phone_number: string
    point: number
  }
  point_entry: {
    id: Generated<number>
    phone_number: string
    order_id: number
    payment_id: number
    product_name: string
    qty: number
    amt: number
    point: number
    total_point: number
    kind: string
    create_time: Date | string
  }
}
type Db = ServiceDb<PointTables>

export interface Balance {
  readonly id: number
  readonly phoneNumber: string
  readonly point: number
}

const toBalance = (row: Selectable<PointTables['point_balance']>): Balance => ({
  id: Number(row.id),
  phoneNumber: row.phone_number,
  point: Number(row.point),
})

const toEntry = (row: Selectable<PointTables['point_entry']>): PointEntry => ({
  id: Number(row.id),
  phoneNumber: row.phone_number,
  orderId: Number(row.order_id),
  paymentId: Number(row.payment_id),
  productName: row.product_name,
  qty: row.qty,
  amt: Number(row.amt),
  point: Number(row.point),
  totalPoint: Number(row.total_point),
  kind: row.kind as EntryKind,
  createTime: new Date(toIso(row.create_time)),
})

/**
 * Creates the phone's balance row if missing and locks it until the transaction ends, in one
 * statement (an upsert that rewrites nothing). Every change of a phone's points starts here, so an
 * order's accrual and its cancel never decide at the same time from each other's absence; and no
 * read comes before it, so what is read next (MariaDB's snapshot is taken at the first read)
 * already includes whatever the previous holder committed.
 */
export async function lockBalance(db: Db, _dialect: Dialect, phoneNumber: string): Promise<void> {
  await upsertBalance.execute(db, { phoneNumber })
}

const upsertBalance = prepared<PointTables, { phoneNumber: string }, never>((db, $, dialect) => {
  const insert = db.insertInto('point_balance').values({ phone_number: $('phoneNumber'), point: 0 })
  return dialect === 'mysql'
    ? insert.onDuplicateKeyUpdate((eb) => ({ point: eb.ref('point_balance.point') }))
    : insert.onConflict((oc) =>
        oc.column('phone_number').doUpdateSet((eb) => ({ point: eb.ref('point_balance.point') })),
      )
})

/**
 * Adds `change` to the balance in one conditional statement: a deduction applies only while the
 * balance covers it, so the balance never goes negative and no concurrent change is lost.
 */
export async function changeBalance(db: Db, phoneNumber: string, change: number): Promise<boolean> {
  if (change === 0) return true
  const updated =
    change > 0
      ? await addToBalance.affected(db, { phoneNumber, change })
      : await takeFromBalance.affected(db, { phoneNumber, amount: -change })
  return updated === 1
}

const addToBalance = prepared<PointTables, { phoneNumber: string; change: number }, never>((db, $) =>
  db
    .updateTable('point_balance')
    .set((eb) => ({ point: eb('point', '+', $('change')) }))
    .where('phone_number', '=', $('phoneNumber')),
)
const takeFromBalance = prepared<PointTables, { phoneNumber: string; amount: number }, never>((db, $) =>
  db
    .updateTable('point_balance')
    .set((eb) => ({ point: eb('point', '-', $('amount')) }))
    .where('phone_number', '=', $('phoneNumber'))
    .where('point', '>=', $('amount')),
)

export async function balanceOf(db: Db, phoneNumber: string): Promise<number> {
  const row = await balanceRow.first(db, { phoneNumber })
  if (!row) throw new Error(`no balance for ${phoneNumber}`)
  return Number(row.point)
}

const balanceRow = prepared<PointTables, { phoneNumber: string }, { point: number }>((db, $) =>
  db.selectFrom('point_balance').select('point').where('phone_number', '=', $('phoneNumber')),
)

export async function insertEntry(
  db: Db,
  dialect: Dialect,
  entry: EntryDraft,
  totalPoint: number,
  createTime: Date,
): Promise<PointEntry> {
  const id = await insertReturningId(db, dialect, 'point_entry', {
    phone_number: entry.phoneNumber,
    order_id: entry.orderId,
    payment_id: entry.paymentId,
    product_name: entry.productName,
    qty: entry.qty,
    amt: entry.amt,
    point: entry.point,
    total_point: totalPoint,
    kind: entry.kind,
    create_time: createTime,
  })
  return { ...entry, id, totalPoint, createTime }
}

/** An order's entries, oldest first. */
export async function findByOrderId(db: Db, orderId: number): Promise<PointEntry[]> {
  return (await entriesOfOrder.all(db, { orderId })).map(toEntry)
}

const entriesOfOrder = prepared<PointTables, { orderId: number }, Selectable<PointTables['point_entry']>>(
  (db, $) =>
    db
      .selectFrom('point_entry')
      .selectAll()
      .where('order_id', '=', $('orderId'))
      .orderBy('create_time')
      .orderBy('id'),
)

export const findByPaymentId = (db: Db, paymentId: number): Promise<PointEntry[]> =>
  findRows(db, 'point_entry', { where: { payment_id: paymentId }, orderBy: ['create_time', 'id'] }, toEntry)

/** A phone's point history, oldest first. */
export async function findByPhoneNumber(db: Db, phoneNumber: string): Promise<PointEntry[]> {
  return (await entriesOfPhone.all(db, { phoneNumber })).map(toEntry)
}

const entriesOfPhone = prepared<PointTables, { phoneNumber: string }, Selectable<PointTables['point_entry']>>(
  (db, $) =>
    db
      .selectFrom('point_entry')
      .selectAll()
      .where('phone_number', '=', $('phoneNumber'))
      .orderBy('create_time')
      .orderBy('id'),
)

export const findEntry = (db: Db, id: number): Promise<PointEntry | undefined> =>
  findById(db, 'point_entry', id, toEntry)

export const findBalances = (db: Db, phoneNumber: string): Promise<Balance[]> =>
  findRows(db, 'point_balance', { where: { phone_number: phoneNumber } }, toBalance)

export const findBalance = (db: Db, id: number): Promise<Balance | undefined> =>
  findById(db, 'point_balance', id, toBalance)

/** A deadlock or serialization failure: the transaction was rolled back and may simply run again. */
export const isTransient = (error: unknown): boolean => {
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown }
  return code === '40P01' || code === '40001' || errno === 1213
}

/** A phone's latest entries, the newest first. */
export const latestEntries = (db: Db, phoneNumber: string, limit: number): Promise<PointEntry[]> =>
  findRows(
    db,
    'point_entry',
    {
      where: { phone_number: phoneNumber },
      orderBy: [
        ['create_time', 'desc'],
        ['id', 'desc'],
      ],
      limit,
    },
    toEntry,
  )
