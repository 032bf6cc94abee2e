import { type Dialect, findById, findRows, insertIfAbsent, type ServiceDb, toIso } from '@cafeteria/platform'
import type { Generated, Selectable } from 'kysely'
import type { Drink, DrinkStatus } from './domain.ts'

export interface DrinkTables {
  drink: {
    id: Generated<number>
    order_id: number
    phone_number: string
    product_name: string
    qty: number
    amt: number | string | null
    status: string
    cancel_refused: Generated<boolean | number>
    create_time: Date | string
    receipted_time: Date | string | null
    made_time: Date | string | null
    status_time: Date | string | null
  }
}
type Db = ServiceDb<DrinkTables>

const timeOf = (value: Date | string | null) => (value === null ? null : new Date(toIso(value)))

const toDrink = (row: Selectable<DrinkTables['drink']>): Drink => ({
  id: Number(row.id),
  orderId: Number(row.order_id),
  phoneNumber: row.phone_number,
  productName: row.product_name,
  qty: row.qty,
  amt: row.amt === null ? null : Number(row.amt),
  status: row.status as DrinkStatus,
  cancelRefused: Boolean(row.cancel_refused),
  createTime: new Date(toIso(row.create_time)),
  receiptedTime: timeOf(row.receipted_time),
  madeTime: timeOf(row.made_time),
  // Tickets from before status times were kept: their creation is the best there is.
  statusTime: timeOf(row.status_time) ?? new Date(toIso(row.create_time)),
})

/** Creates the order's ticket unless it already has one. */
export async function createTicket(db: Db, dialect: Dialect, drink: Omit<Drink, 'id'>): Promise<boolean> {
  return insertIfAbsent(db, dialect, 'drink', {
    order_id: drink.orderId,
    phone_number: drink.phoneNumber,
    product_name: drink.productName,
    qty: drink.qty,
    amt: drink.amt,
    status: drink.status,
    create_time: drink.createTime,
    status_time: drink.statusTime,
  })
}

export const findDrink = (db: Db, id: number): Promise<Drink | undefined> =>
  findById(db, 'drink', id, toDrink)

export const findByOrderId = (db: Db, orderId: number): Promise<Drink[]> =>
  findRows(db, 'drink', { where: { order_id: orderId } }, toDrink)

/** Saves a decided state over the state it was decided from; false if someone changed it first. */
export async function saveDrink(
  db: Db,
  drink: Drink,
  expected: DrinkStatus,
  expectedCancelRefused = drink.cancelRefused,
): Promise<boolean> {
  const result = await db
    .updateTable('drink')
    .set({
      status: drink.status,
      cancel_refused: drink.cancelRefused,
      receipted_time: drink.receiptedTime,
      made_time: drink.madeTime,
      status_time: drink.statusTime,
    })
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

const ACTIVE: DrinkStatus[] = ['PaymentApproved', 'Receipted']

/** How many tickets wait for the barista, and how many are being made. */
export async function queueCounts(db: Db): Promise<{ waiting: number; inProgress: number }> {
  const rows = await db
    .selectFrom('drink')
    .select((eb) => ['status', eb.fn.countAll<number | string>().as('count')])
    .where('status', 'in', ACTIVE)
    .groupBy('status')
    .execute()
  const count = (status: DrinkStatus) => Number(rows.find((r) => r.status === status)?.count ?? 0)
  return { waiting: count('PaymentApproved'), inProgress: count('Receipted') }
}

/** Seconds from Receipted to Made of the latest tickets made. */
export async function recentMakeSeconds(db: Db, limit: number): Promise<number[]> {
  const rows = await db
    .selectFrom('drink')
    .select(['receipted_time', 'made_time'])
    .where('status', '=', 'Made')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
  return rows.flatMap(({ receipted_time, made_time }) => {
    const from = timeOf(receipted_time)
    const to = timeOf(made_time)
    return from && to ? [(to.getTime() - from.getTime()) / 1000] : []
  })
}

/** A customer's tickets still in the queue, each with the number of waiting tickets before it. */
export async function activeTicketsOf(
  db: Db,
  phoneNumber: string,
): Promise<Array<{ drink: Drink; waitingAhead: number }>> {
  const rows = await db
    .selectFrom('drink')
    .selectAll()
    .where('status', 'in', ACTIVE)
    .where('phone_number', '=', phoneNumber)
    .orderBy('id')
    .execute()
  return Promise.all(
    rows.map(async (row) => {
      const ahead = await db
        .selectFrom('drink')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('status', '=', 'PaymentApproved')
        .where('id', '<', row.id)
        .executeTakeFirstOrThrow()
      return { drink: toDrink(row), waitingAhead: Number(ahead.count) }
    }),
  )
}

/** The barista's board: tickets to make, oldest first. */
export async function activeTickets(db: Db, limit: number): Promise<Drink[]> {
  const rows = await db
    .selectFrom('drink')
    .selectAll()
    .where('status', 'in', ACTIVE)
    .orderBy('id')
    .limit(limit)
    .execute()
  return rows.map(toDrink)
}

/** Tickets finished or cancelled lately, the latest first. */
export async function recentlyClosed(db: Db, since: Date, limit: number): Promise<Drink[]> {
  const rows = await db
    .selectFrom('drink')
    .selectAll()
    .where('status', 'in', ['Made', 'DrinkCanceled'])
    .where('status_time', '>=', since)
    .orderBy('status_time', 'desc')
    .limit(limit)
    .execute()
  return rows.map(toDrink)
}
