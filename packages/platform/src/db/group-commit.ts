import type { Kysely, Transaction } from 'kysely'
import { reactionsOf } from './transaction.ts'

interface Pending {
  readonly work: (trx: Transaction<any>) => Promise<unknown>
  resolve(value: unknown): void
  reject(error: unknown): void
}

/**
 * Transactions for a database with one connection (SQLite): the ones that arrive while another
 * runs wait, as they would for the connection, and then run together in one transaction, each in
 * its own savepoint. A work that fails rolls back to its savepoint alone; the rest commit with one
 * commit instead of one each. Every caller still learns of its outcome only after the commit, so
 * nothing is answered or acknowledged before it is durable.
 */
export function groupCommit<DB>(db: Kysely<DB>) {
  let queue: Pending[] = []
  let running = false

  async function runBatch(batch: Pending[]): Promise<void> {
    const trx = await db.startTransaction().execute()
    const outcomes: Array<{ ok: true; value: unknown; trx: object } | { ok: false; error: unknown }> = []
    try {
      if (batch.length === 1) {
        // Alone: no savepoint needed; its failure is the transaction's.
        outcomes.push({ ok: true, value: await batch[0]?.work(trx), trx })
      } else {
        for (const { work } of batch) {
          const point = await trx.savepoint('work').execute()
          try {
            const value = await work(point)
            await point.releaseSavepoint('work').execute()
            outcomes.push({ ok: true, value, trx: point })
          } catch (error) {
            await point.rollbackToSavepoint('work').execute()
            outcomes.push({ ok: false, error })
          }
        }
      }
      await trx.commit().execute()
    } catch (error) {
      await trx
        .rollback()
        .execute()
        .catch(() => {})
      for (const item of batch) item.reject(error)
      return
    }
    for (const [i, item] of batch.entries()) {
      const outcome = outcomes[i]
      if (!outcome?.ok) {
        item.reject(outcome ? outcome.error : new Error('transaction outcome missing'))
        continue
      }
      for (const react of reactionsOf(outcome.trx)) react()
      item.resolve(outcome.value)
    }
  }

  async function drain(): Promise<void> {
    running = true
    try {
      while (queue.length > 0) {
        const batch = queue
        queue = []
        await runBatch(batch)
        // Statements on SQLite settle as microtasks: let the event loop run between batches.
        if (queue.length > 0) await new Promise((resolve) => setImmediate(resolve))
      }
    } finally {
      running = false
    }
  }

  return function transaction<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ work: work as Pending['work'], resolve: resolve as Pending['resolve'], reject })
      if (!running) void drain()
    })
  }
}
