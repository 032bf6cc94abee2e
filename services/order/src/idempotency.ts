import { createHash } from 'node:crypto'
import { type Dialect, insertIfAbsent, type ServiceDb } from '@cafeteria/platform'
import type { Order, OrderDraft } from './domain.ts'
import { findOrder, insertPending, type OrderTables } from './store.ts'

/**
 * `Idempotency-Key` on POST /orders: the same key with the same body is the same order, so a
 * double click or a retry after a timeout never orders (or pays) twice. A key whose attempt
 * failed to pay may try again; a key reused for another order is refused.
 */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,100}$/

export const fingerprint = (draft: OrderDraft): string =>
  createHash('sha256')
    .update(JSON.stringify([draft.phoneNumber, draft.productName, draft.qty, draft.amt]))
    .digest('base64url')

export type Claim =
  /** Go ahead and pay this pending order. */
  | { readonly kind: 'new'; readonly order: Order }
  /** Already placed: answer with it again. */
  | { readonly kind: 'replay'; readonly order: Order }
  | { readonly kind: 'in-progress' }
  | { readonly kind: 'mismatch' }

type Db = ServiceDb<OrderTables>

/**
 * Claims the key for this request in one transaction with the pending order it will pay. Of
 * concurrent requests with one key, exactly one claims it; the others answer as for a key in
 * progress, whether the key is new or its last attempt failed to pay.
 */
export async function claim(
  db: Db,
  dialect: Dialect,
  key: string,
  draft: OrderDraft,
  now: Date,
): Promise<Claim> {
  const print = fingerprint(draft)
  return db
    .transaction()
    .execute(async (trx): Promise<Claim> => {
      const existing = await trx
        .selectFrom('idempotency_key')
        .selectAll()
        .where('key', '=', key)
        .executeTakeFirst()
      if (!existing) {
        const order = await insertPending(trx, dialect, draft)
        const values = { key, fingerprint: print, order_id: order.id, created_at: now }
        // A concurrent request with the same key got in first: its order is the one.
        if (!(await insertIfAbsent(trx, dialect, 'idempotency_key', values))) throw new KeyRace()
        return { kind: 'new', order }
      }
      if (existing.fingerprint !== print) return { kind: 'mismatch' }
      const order = await findOrder(trx, Number(existing.order_id))
      if (!order || order.status === 'Pending') return { kind: 'in-progress' }
      if (order.status !== 'PaymentFailed') return { kind: 'replay', order }
      const retry = await insertPending(trx, dialect, draft)
      // Compare-and-set on the failed attempt read above, not a plain write: two retries sent
      // together both read it, and without the check both would take the key and both pay. The
      // second write waits for the first's row lock, then finds another attempt there and
      // changes nothing; its pending order is rolled back.
      const taken = await trx
        .updateTable('idempotency_key')
        .set({ order_id: retry.id })
        .where('key', '=', key)
        .where('order_id', '=', existing.order_id)
        .executeTakeFirst()
      if (Number(taken.numUpdatedRows) !== 1) throw new KeyRace()
      return { kind: 'new', order: retry }
    })
    .catch((error: unknown) => {
      if (error instanceof KeyRace) return { kind: 'in-progress' } satisfies Claim
      throw error
    })
}

class KeyRace extends Error {}

/** Keys are kept at least `hours`; older ones are forgotten. */
export async function forgetKeysOlderThan(db: Db, hours: number, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - hours * 3_600_000)
  const result = await db.deleteFrom('idempotency_key').where('created_at', '<', cutoff).executeTakeFirst()
  return Number(result.numDeletedRows)
}
