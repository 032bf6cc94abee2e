import { type Dialect, databaseTime, findById, prepared, type ServiceDb, toIso } from '@cafeteria/platform'
import { type Generated, type Selectable, sql } from 'kysely'
import type { Order, OrderDraft } from './domain.ts'

export interface OrderTables {
  order_management: {
    id: Generated<number>
    phone_number: string
    product_name: string
    qty: number
    amt: number
    status: string
    payment_id: number | null
    cancel_refused: Generated<boolean | number>
    refunded: Generated<boolean | number>
    create_time: Date | string
    cancel_started_at: Generated<Date | string | null>
    cancel_attempts: Generated<number>
  }
  idempotency_key: {
    key: string
    fingerprint: string
    order_id: number
    created_at: Date | string
  }
  order_history: {
    id: Generated<number>
    order_id: number
    status: string
    detail: string | null
    at: Date | string
  }
}
type Db = ServiceDb<OrderTables>
type Row = Selectable<OrderTables['order_management']>

const toOrder = (row: Row): Order => ({
  id: row.id,
  phoneNumber: row.phone_number,
  productName: row.product_name,
  qty: row.qty,
  amt: Number(row.amt),
  status: row.status as Order['status'],
  paymentId: row.payment_id === null ? null : Number(row.payment_id),
  cancelRefused: Boolean(row.cancel_refused),
  createTime: new Date(toIso(row.create_time)),
})

/**
 * Records an order about to be paid. Its time is the database's: the sweep for orders abandoned
 * while paying judges their age on that one clock, whichever replica placed them.
 */
export async function insertPending(db: Db, dialect: Dialect, draft: OrderDraft): Promise<Order> {
  const { phoneNumber, productName, qty, amt } = draft
  const params = { phoneNumber, productName, qty, amt }
  let inserted: { id: number; create_time: Date | string } | undefined
  if (dialect === 'mysql') {
    // MariaDB reports the id; the time it stamped is read back.
    const id = Number((await insertOrder.execute(db, params)).insertId)
    const row = await db
      .selectFrom('order_management')
      .select('create_time')
      .where('id', '=', id)
      .executeTakeFirst()
    inserted = row && { id, create_time: row.create_time }
  } else inserted = await insertOrder.first(db, params)
  if (!inserted) throw new Error('insert into order_management returned no row')
  const createTime = new Date(toIso(inserted.create_time))
  return {
    ...draft,
    id: Number(inserted.id),
    status: 'Pending',
    paymentId: null,
    cancelRefused: false,
    createTime,
  }
}

const insertOrder = prepared<OrderTables, OrderDraft, { id: number; create_time: Date | string }>(
  (db, $, dialect) => {
    const insert = db.insertInto('order_management').values({
      phone_number: $('phoneNumber'),
      product_name: $('productName'),
      qty: $('qty'),
      amt: $('amt'),
      status: 'Pending',
      payment_id: null,
      create_time: databaseTime(dialect),
    })
    return (dialect === 'mysql' ? insert : insert.returning(['id', 'create_time'])) as never
  },
)

export const findOrder = (db: Db, id: number): Promise<Order | undefined> =>
  findById(db, 'order_management', id, toOrder)

/** Orders Pending for longer than `ageMs`, aged on the database's clock (see `insertPending`). */
export async function findPendingOlderThan(
  db: Db,
  dialect: Dialect,
  ageMs: number,
  limit: number,
): Promise<Order[]> {
  const rows = await db
    .selectFrom('order_management')
    .selectAll()
    .where('status', '=', 'Pending')
    .where('create_time', '<', databaseTime(dialect, ageMs))
    .orderBy('id')
    .limit(limit)
    .execute()
  return rows.map(toOrder)
}

/** Saves a decided state, but only over the state it was decided from (optimistic check). */
export async function saveOrder(db: Db, order: Order, expectedStatus: Order['status']): Promise<boolean> {
  const updated = await updateOrder.affected(db, {
    id: order.id,
    status: order.status,
    paymentId: order.paymentId,
    cancelRefused: order.cancelRefused,
    expectedStatus,
  })
  return updated === 1
}

/** The save loop's step: a decided order over the one it was decided from, or undefined if that changed. */
export async function saveOver(
  db: Db,
  order: Order | undefined,
  loaded: Order | undefined,
): Promise<Order | undefined> {
  if (!order || !loaded) throw new Error('an order is saved only over an order')
  return (await saveOrder(db, order, loaded.status)) ? order : undefined
}

const updateOrder = prepared<
  OrderTables,
  Pick<Order, 'id' | 'status' | 'paymentId' | 'cancelRefused'> & { expectedStatus: Order['status'] },
  never
>((db, $) =>
  db
    .updateTable('order_management')
    .set({ status: $('status'), payment_id: $('paymentId'), cancel_refused: $('cancelRefused') })
    .where('id', '=', $('id'))
    .where('status', '=', $('expectedStatus')),
)

export interface HistoryEntry {
  readonly status: string
  readonly detail: string | null
  readonly at: Date
}

export async function appendHistory(db: Db, orderId: number, entry: HistoryEntry): Promise<void> {
  await insertHistory.execute(db, { orderId, ...entry })
}

const insertHistory = prepared<OrderTables, HistoryEntry & { orderId: number }, never>((db, $) =>
  db
    .insertInto('order_history')
    .values({ order_id: $('orderId'), status: $('status'), detail: $('detail'), at: $('at') }),
)

export async function historyOf(db: Db, orderId: number): Promise<HistoryEntry[]> {
  const rows = await db
    .selectFrom('order_history')
    .select(['status', 'detail', 'at'])
    .where('order_id', '=', orderId)
    .orderBy('id')
    .execute()
  return rows.map((r) => ({ status: r.status, detail: r.detail, at: new Date(toIso(r.at)) }))
}

/** Records the order's refund once: true only for the first PaymentCanceled of a cancelled order. */
export async function markRefunded(db: Db, id: number): Promise<boolean> {
  const result = await db
    .updateTable('order_management')
    .set({ refunded: true })
    .where('id', '=', id)
    .where('status', '=', 'OrderCanceled')
    .where('refunded', '=', false)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/**
 * Marks a cancel as under way before its points are deducted; false if the order cannot be
 * cancelled any more (no longer `Ordered`, or a cancel was refused by the barista for good).
 * `cancel_attempts` counts the attempts that may have reached point and whose cancel is not yet
 * recorded; while there is one, the mark stays, and a mark older than the longest call means its
 * process died or its answer was lost: the sweep (upkeep.ts) finishes the cancel. The mark's
 * time is the database's, so every replica judges its age on one clock.
 */
export async function startCancel(db: Db, dialect: Dialect, id: number): Promise<boolean> {
  const result = await db
    .updateTable('order_management')
    .set((eb) => ({
      cancel_started_at: databaseTime(dialect),
      cancel_attempts: eb('cancel_attempts', '+', 1),
    }))
    .where('id', '=', id)
    .where('status', '=', 'Ordered')
    .where('cancel_refused', '=', false)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/**
 * One attempt's request certainly never reached point: it takes itself back, and the mark goes
 * with the last attempt, unless another attempt may have reached point. MariaDB applies the
 * assignments left to right, the others all to the row as it was: either way the mark is judged
 * on the count before it is lowered.
 */
export async function releaseCancel(db: Db, id: number): Promise<void> {
  await db
    .updateTable('order_management')
    .set({
      cancel_started_at: sql`case when cancel_attempts <= 1 then null else cancel_started_at end`,
      cancel_attempts: sql`cancel_attempts - 1`,
    })
    .where('id', '=', id)
    .where('cancel_attempts', '>', 0)
    .execute()
}

/** The cancel was answered (recorded or refused): nothing is left for the sweep. */
export async function endCancel(db: Db, id: number): Promise<void> {
  await db
    .updateTable('order_management')
    .set({ cancel_started_at: null, cancel_attempts: 0 })
    .where('id', '=', id)
    .execute()
}

/** Orders whose cancel was marked longer than `ageMs` ago (database clock) and never answered. */
export async function findUnfinishedCancels(
  db: Db,
  dialect: Dialect,
  ageMs: number,
  limit: number,
): Promise<number[]> {
  const rows = await db
    .selectFrom('order_management')
    .select('id')
    .where('status', '=', 'Ordered')
    .where('cancel_started_at', '<', databaseTime(dialect, ageMs))
    .orderBy('id')
    .limit(limit)
    .execute()
  return rows.map((r) => Number(r.id))
}
