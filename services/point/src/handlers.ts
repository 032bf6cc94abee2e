import type { EventType } from '@cafeteria/contracts'
import type { EventHandlersFor, ServiceContext } from '@cafeteria/platform'
import type { PointDeps } from './index.ts'
import { type Outcome, runCommand } from './ledger.ts'
import type { PointSettings } from './settings.ts'
import type { PointTables } from './store.ts'

/** A conflict here means the order service contradicted itself: fail loudly, ending as a dead letter. */
function expectConsistent(outcome: Outcome, what: string) {
  if (outcome.kind === 'rejected' && outcome.reason.kind === 'conflict') {
    throw new Error(`${what}: ${outcome.reason.reason}`)
  }
}

/** What the point service handles: its handlers' keys exactly, and the flows table's consumers. */
export const pointConsumes = ['Ordered', 'CancelFailed'] as const satisfies readonly EventType[]

export const pointHandlers = (
  ctx: ServiceContext<PointTables, PointSettings>,
  deps: PointDeps,
): EventHandlersFor<PointTables, (typeof pointConsumes)[number]> => ({
  async Ordered(trx, event) {
    const outcome = await runCommand(ctx, deps, trx, {
      type: 'AccruePoints',
      orderId: event.orderId,
      ...event.data,
    })
    expectConsistent(outcome, 'accrual')
  },

  /** The barista had started, so the cancel was refused: give back what the cancel deducted. */
  async CancelFailed(trx, event) {
    const outcome = await runCommand(ctx, deps, trx, {
      type: 'RestorePoints',
      orderId: event.orderId,
      phoneNumber: event.data.phoneNumber,
    })
    expectConsistent(outcome, 'restore')
  },
})
