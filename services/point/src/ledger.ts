import type { ServiceContext, ServiceTrx } from '@cafeteria/platform'
import {
  decide,
  ledgerOf,
  type PointCommand,
  type PointDecision,
  type PointEntry,
  recordedEvents,
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

export type Outcome =
  | Exclude<PointDecision, { kind: 'record' }>
  | { readonly kind: 'recorded'; readonly entry: PointEntry }
  /** A deduction the balance does not cover: nothing was written. */
  | { readonly kind: 'not-enough' }

/**
 * Runs one command against the ledger inside the caller's transaction — the same steps for the
 * HTTP deduction and the event handlers: lock the phone's balance, decide from the order's
 * entries, change the balance, record the entry and its event.
 */
export async function runCommand(
  ctx: ServiceContext<PointTables, PointSettings>,
  { feed, count }: PointDeps,
  trx: ServiceTrx<PointTables>,
  command: PointCommand,
): Promise<Outcome> {
  await lockBalance(trx, ctx.dialect, command.phoneNumber)
  const decision = decide(command, ledgerOf(await findByOrderId(trx, command.orderId)))
  if (decision.kind !== 'record') return decision
  const { entry: draft, balanceChange, announce } = decision
  if (!(await changeBalance(trx, draft.phoneNumber, balanceChange))) return { kind: 'not-enough' }
  const entry = await insertEntry(trx, ctx.dialect, draft, await balanceOf(trx, draft.phoneNumber), ctx.now())
  if (announce) await ctx.emit(trx, recordedEvents(entry))
  ctx.afterCommit(trx, () => {
    count(entry.kind, entry.point)
    feed.changed(entry.phoneNumber)
  })
  return { kind: 'recorded', entry }
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
