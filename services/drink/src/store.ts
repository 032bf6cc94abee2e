import { type Dialect, insertIfAbsent, type ServiceDb, toIso } from '@cafeteria/platform'
import type { Generated, Selectable } from 'kysely'
import type { Drink, DrinkStatus } from './domain.ts'

export interface DrinkTables {
  drink: {
    id: Generated<number>
    order_id: number
    phone_number: string
    product_name: string
    qty: number
    status: string
    cancel_refused: Generated<boolean | number>
    create_time: Date | string
  }
}
type Db = ServiceDb<DrinkTables>

const toDrink = (row: Selectable<DrinkTables['drink']>): Drink => ({
  id: Number(row.id),
  orderId: Number(row.order_id),
  phoneNumber: row.phone_number,
  productName: row.product_name,
  qty: row.qty,
  status: row.status as DrinkStatus,
  cancelRefused: Boolean(row.cancel_refused),
  createTime: new Date(toIso(row.create_time)),
})

/** Creates the order's ticket unless it already has one. */
export async function createTicket(db: Db, dialect: Dialect, drink: Omit<Drink, 'id'>): Promise<boolean> {
  return insertIfAbsent(db, dialect, 'drink', {
    order_id: drink.orderId,
    phone_number: drink.phoneNumber,
    product_name: drink.productName,
    qty: drink.qty,
    status: drink.status,
    create_time: drink.createTime,
  })
}

export async function findDrink(db: Db, id: number): Promise<Drink | undefined> {
  const row = await db.selectFrom('drink').selectAll().where('id', '=', id).executeTakeFirst()
  return row && toDrink(row)
}

export async function findByOrderId(db: Db, orderId: number): Promise<Drink[]> {
  const rows = await db.selectFrom('drink').selectAll().where('order_id', '=', orderId).execute()
  return rows.map(toDrink)
}

/** Saves a decided state over the state it was decided from; false if someone changed it first. */
export async function saveDrink(
  db: Db,
  drink: Drink,
  expected: DrinkStatus,
  expectedCancelRefused = drink.cancelRefused,
): Promise<boolean> {
  const result = await db
    .updateTable('drink')
    .set({ status: drink.status, cancel_refused: drink.cancelRefused })
    .where('id', '=', drink.id)
    .where('status', '=', expected)
    .where('cancel_refused', '=', expectedCancelRefused)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Tickets oldest first, optionally of one status: the barista's queue. */
export async function listDrinks(
  db: Db,
  query: { status?: DrinkStatus; limit: number; afterId: number },
): Promise<Drink[]> {
  let select = db.selectFrom('drink').selectAll().where('id', '>', query.afterId)
  if (query.status) select = select.where('status', '=', query.status)
  const rows = await select.orderBy('id').limit(query.limit).execute()
  return rows.map(toDrink)
}
