import type { Kysely, Transaction } from 'kysely'

const pending = new WeakMap<object, Array<() => void>>()

/**
 * Runs `react` once the transaction `trx` has committed (never if it rolls back): the moment to
 * wake a relay or a dispatcher for rows that are only now visible to other connections.
 */
export function afterCommit(trx: Transaction<any>, react: () => void): void {
  const list = pending.get(trx)
  if (list) list.push(react)
  else pending.set(trx, [react])
}

/** `db.transaction().execute(work)`, plus the `afterCommit` reactions once it committed. */
export async function inTransaction<DB, T>(
  db: Kysely<DB>,
  work: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  let transaction: Transaction<DB> | undefined
  const result = await db.transaction().execute((trx) => {
    transaction = trx
    return work(trx)
  })
  if (transaction) for (const react of reactionsOf(transaction)) react()
  return result
}

/** The reactions registered on `trx`, once it has committed. */
export function reactionsOf(trx: object): ReadonlyArray<() => void> {
  const reactions = pending.get(trx) ?? []
  pending.delete(trx)
  return reactions
}
