import {
  type Dialect,
  findById,
  findRows,
  insertIfAbsent,
  prepared,
  type ServiceDb,
  toIso,
} from '@cafeteria/platform'
import type { Generated, Selectable } from 'kysely'
import {
  type AttemptOutcome,
  type MyPage,
  type MyPageStatus,
  type Notification,
  type NotificationDraft,
  type NotificationStatus,
  noFacts,
  statusOf,
} from './domain.ts'
import type { SignInTables } from './sign-in-store.ts'
import type { NotificationKind } from './templates.ts'

type Flag = Generated<boolean | number>

export interface CustomercenterTables extends SignInTables {
  mypage: {
    id: Generated<number>
    order_id: number
    phone_number: string
    product_name: string | null
    qty: number | null
    amt: number | null
    status: string
    ordered: Flag
    receipted: Flag
    made: Flag
    cancel_requested: Flag
    cancel_failed: Flag
    drink_canceled: Flag
    payment_canceled: Flag
  }
  notification: {
    id: Generated<number>
    order_id: number
    kind: string
    phone_number: string
    message: string
    status: string
    attempts: Generated<number>
    next_attempt_at: Date | string
    last_error: string | null
    create_time: Date | string
    sent_time: Date | string | null
  }
}
type Db = ServiceDb<CustomercenterTables>

export type Stored<T> = T & { readonly id: number }

const toMyPage = (row: Selectable<CustomercenterTables['mypage']>): Stored<MyPage> => {
  const facts = {
    ordered: Boolean(row.ordered),
    receipted: Boolean(row.receipted),
    made: Boolean(row.made),
    cancelRequested: Boolean(row.cancel_requested),
    cancelFailed: Boolean(row.cancel_failed),
    drinkCanceled: Boolean(row.drink_canceled),
    paymentCanceled: Boolean(row.payment_canceled),
  }
  return {
    id: Number(row.id),
    orderId: Number(row.order_id),
    phoneNumber: row.phone_number,
    productName: row.product_name,
    qty: row.qty === null ? null : Number(row.qty),
    amt: row.amt === null ? null : Number(row.amt),
    facts,
    status: row.status as MyPageStatus,
  }
}

/**
 * Reads the order's page for a change, locked until the transaction ends so that concurrent events
 * of one order fold one after the other. The row is created empty if missing (an empty page folds
 * like no page at all) by an upsert, which takes the row's exclusive lock at once: reading first
 * and inserting when absent would let two first events deadlock on MariaDB's gap locks.
 */
export async function openMyPage(
  db: Db,
  dialect: Dialect,
  orderId: number,
  phoneNumber: string,
): Promise<Stored<MyPage>> {
  await upsertEmptyPage.execute(db, { orderId, phoneNumber })
  const row = await (dialect === 'sqlite' ? pageOfOrder : pageOfOrderForUpdate).first(db, { orderId })
  if (!row) throw new Error(`my page of order ${orderId} vanished after its upsert`)
  return toMyPage(row)
}

const upsertEmptyPage = prepared<CustomercenterTables, { orderId: number; phoneNumber: string }, never>(
  (db, $, dialect) => {
    const insert = db
      .insertInto('mypage')
      .values({ order_id: $('orderId'), phone_number: $('phoneNumber'), status: statusOf(noFacts) })
    return dialect === 'mysql'
      ? insert.onDuplicateKeyUpdate({ order_id: $('orderId') })
      : insert.onConflict((oc) => oc.column('order_id').doUpdateSet({ order_id: $('orderId') }))
  },
)
type PageRow = Selectable<CustomercenterTables['mypage']>
const pageOfOrder = prepared<CustomercenterTables, { orderId: number }, PageRow>((db, $) =>
  db.selectFrom('mypage').selectAll().where('order_id', '=', $('orderId')),
)
const pageOfOrderForUpdate = prepared<CustomercenterTables, { orderId: number }, PageRow>((db, $) =>
  db.selectFrom('mypage').selectAll().where('order_id', '=', $('orderId')).forUpdate(),
)

export async function saveMyPage(db: Db, id: number, page: MyPage): Promise<void> {
  await savePage.execute(db, {
    id,
    phoneNumber: page.phoneNumber,
    productName: page.productName,
    qty: page.qty,
    amt: page.amt,
    status: page.status,
    ...page.facts,
  })
}

const savePage = prepared<
  CustomercenterTables,
  Pick<MyPage, 'phoneNumber' | 'productName' | 'qty' | 'amt' | 'status'> & MyPage['facts'] & { id: number },
  never
>((db, $) =>
  db
    .updateTable('mypage')
    .set({
      phone_number: $('phoneNumber'),
      product_name: $('productName'),
      qty: $('qty'),
      amt: $('amt'),
      status: $('status'),
      ordered: $('ordered'),
      receipted: $('receipted'),
      made: $('made'),
      cancel_requested: $('cancelRequested'),
      cancel_failed: $('cancelFailed'),
      drink_canceled: $('drinkCanceled'),
      payment_canceled: $('paymentCanceled'),
    })
    .where('id', '=', $('id')),
)

export const findMyPage = (db: Db, id: number): Promise<Stored<MyPage> | undefined> =>
  findById(db, 'mypage', id, toMyPage)

export async function findMyPagesByPhoneNumber(db: Db, phoneNumber: string): Promise<Stored<MyPage>[]> {
  return (await pagesOfPhone.all(db, { phoneNumber })).map(toMyPage)
}

const pagesOfPhone = prepared<CustomercenterTables, { phoneNumber: string }, PageRow>((db, $) =>
  db.selectFrom('mypage').selectAll().where('phone_number', '=', $('phoneNumber')).orderBy('order_id'),
)

export const findMyPagesByOrderId = (db: Db, orderId: number): Promise<Stored<MyPage>[]> =>
  findRows(db, 'mypage', { where: { order_id: orderId } }, toMyPage)

const toNotification = (row: Selectable<CustomercenterTables['notification']>): Notification => ({
  id: Number(row.id),
  orderId: Number(row.order_id),
  phoneNumber: row.phone_number,
  kind: row.kind as NotificationKind,
  message: row.message,
  status: row.status as NotificationStatus,
  attempts: Number(row.attempts),
  lastError: row.last_error,
  createTime: new Date(toIso(row.create_time)),
  sentTime: row.sent_time === null ? null : new Date(toIso(row.sent_time)),
})

/** Queues a notification for delivery unless this order already has one of this kind. */
export async function recordNotification(
  db: Db,
  dialect: Dialect,
  draft: NotificationDraft,
  now: Date,
): Promise<boolean> {
  return insertIfAbsent(db, dialect, 'notification', {
    order_id: draft.orderId,
    kind: draft.kind,
    phone_number: draft.phoneNumber,
    message: draft.message,
    status: 'pending',
    attempts: 0,
    next_attempt_at: now,
    create_time: now,
  })
}

/**
 * Takes the pending notifications that are due, counts an attempt on each and hides them until
 * `leaseUntil`, so a second dispatcher (another replica) leaves them alone while they are being
 * delivered and a crashed one's are taken up again once the lease runs out. Runs in the caller's
 * transaction, which must hold it all.
 */
export async function claimDue(
  trx: Db,
  dialect: Dialect,
  claim: { now: Date; leaseUntil: Date; limit: number },
): Promise<Notification[]> {
  let query = trx
    .selectFrom('notification')
    .selectAll()
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', claim.now)
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(claim.limit)
  if (dialect !== 'sqlite') query = query.forUpdate().skipLocked()
  const rows = await query.execute()
  if (rows.length === 0) return []
  await trx
    .updateTable('notification')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: claim.leaseUntil }))
    .where(
      'id',
      'in',
      rows.map((r) => r.id),
    )
    .execute()
  return rows.map((row) => ({ ...toNotification(row), attempts: Number(row.attempts) + 1 }))
}

/** Records how an attempt ended, unless the claim was lost (the lease ran out and it was retaken). */
export async function saveAttempt(
  db: Db,
  claimed: Pick<Notification, 'id' | 'attempts'>,
  outcome: AttemptOutcome,
): Promise<void> {
  if (outcome.status === 'sent') {
    // Every notification ends here once: the one shape worth preparing.
    await markSent.execute(db, { id: claimed.id, attempts: claimed.attempts, sentTime: outcome.sentTime })
    return
  }
  const update =
    outcome.status === 'pending'
      ? {
          status: outcome.status,
          next_attempt_at: outcome.nextAttemptAt,
          last_error: outcome.lastError.slice(0, 1000),
        }
      : { status: outcome.status, last_error: outcome.lastError.slice(0, 1000) }
  await db
    .updateTable('notification')
    .set(update)
    .where('id', '=', claimed.id)
    .where('attempts', '=', claimed.attempts)
    .where('status', '=', 'pending')
    .execute()
}

const markSent = prepared<CustomercenterTables, { id: number; attempts: number; sentTime: Date }, never>(
  (db, $) =>
    db
      .updateTable('notification')
      .set({ status: 'sent', sent_time: $('sentTime'), last_error: null })
      .where('id', '=', $('id'))
      .where('attempts', '=', $('attempts'))
      .where('status', '=', 'pending'),
)

export const findNotification = (db: Db, id: number): Promise<Notification | undefined> =>
  findById(db, 'notification', id, toNotification)

/** Oldest first. */
export const findNotificationsByPhoneNumber = (db: Db, phoneNumber: string): Promise<Notification[]> =>
  findRows(db, 'notification', { where: { phone_number: phoneNumber }, orderBy: ['id'] }, toNotification)

/** A customer's latest orders and messages, the newest first: what My Page shows. */
export async function latestOfPhoneNumber(
  db: Db,
  phoneNumber: string,
  limit: number,
): Promise<{ pages: Stored<MyPage>[]; notifications: Notification[] }> {
  const where = { phone_number: phoneNumber }
  const [pages, notifications] = await Promise.all([
    findRows(db, 'mypage', { where, orderBy: [['order_id', 'desc']], limit }, toMyPage),
    findRows(db, 'notification', { where, orderBy: [['id', 'desc']], limit }, toNotification),
  ])
  return { pages, notifications }
}
