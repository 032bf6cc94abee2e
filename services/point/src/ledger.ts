import { type CommandOutcome, handleCommand, type ServiceContext, type ServiceTrx } from '@cafeteria/platform'
import {
  ledgerOf,
  type PointCommand,
  type PointEvent,
  type PointRefusal,
  type PointState,
  pointDecider,
} from './domain.ts'
import type { PointDeps } from './index.ts'
import type { PointSettings } from './settings.ts'
import {
  balanceOf,
  changeBalance,
  findByOrderId,
  insertEntry,
  isTransient,
  lockBalance,
  type PointTables,
} from './store.ts'

export type Outcome = CommandOutcome<PointState, PointEvent, PointRefusal>

/**
 * Runs one command against the ledger inside the caller's transaction — the same steps for the
 * HTTP deduction and the event handlers: lock the phone's balance, decide from the order's
 * entries and the balance, change the balance, record the entry and its event.
 */
export async function runCommand(
  ctx: ServiceContext<PointTables, PointSettings>,
  { feed, count }: PointDeps,
  trx: ServiceTrx<PointTables>,
  command: PointCommand,
): Promise<Outcome> {
  return handleCommand(ctx, {
    trx,
    decider: pointDecider,
    command,
    async load(trx) {
      // The lock first: what is read next includes whatever the previous holder committed.
      await lockBalance(trx, ctx.dialect, command.phoneNumber)
      const ledger = ledgerOf(await findByOrderId(trx, command.orderId))
      return { ledger, balance: await balanceOf(trx, command.phoneNumber) }
    },
    async save(trx, state, loaded, events) {
      // Under the lock the balance cannot have moved; the conditional change guards it anyway.
      const change = state.balance - (loaded?.balance ?? 0)
      if (!(await changeBalance(trx, command.phoneNumber, change))) return undefined
      for (const { entry } of events) {
        await insertEntry(trx, ctx.dialect, entry, entry.totalPoint, ctx.now())
        ctx.afterCommit(trx, () => {
          count(entry.kind, entry.point)
          feed.changed(entry.phoneNumber)
        })
      }
      return state
    },
  })
}

/**
 * Runs a transaction again when the database broke a deadlock by rolling it back; nothing of it
 * was kept, so running it again is safe.
 */
export async function retryTransient<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work()
    } catch (error) {
      if (attempt >= attempts || !isTransient(error)) throw error
    }
  }
}
