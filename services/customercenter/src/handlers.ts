import type { EventType } from '@cafeteria/contracts'
import type { EventHandlersFor, ServiceContext, ServiceTrx } from '@cafeteria/platform'
import { evolve, type MyPageEvent, notificationFor } from './domain.ts'
import type { CustomercenterDeps } from './index.ts'
import type { CustomercenterSettings } from './settings.ts'
import { type CustomercenterTables, openMyPage, recordNotification, saveMyPage } from './store.ts'

/** What the customercenter service handles: its handlers' keys exactly, and the flows table's consumers. */
export const customercenterConsumes = [
  'Ordered',
  'Receipted',
  'Made',
  'OrderCanceled',
  'CancelFailed',
  'DrinkCanceled',
  'PaymentCanceled',
] as const satisfies readonly EventType[]

/**
 * Every event of an order folds into its My Page and may queue one notification, in the
 * consumer's transaction; delivery happens later, outside it (see dispatcher.ts).
 */
export function customercenterHandlers(
  ctx: ServiceContext<CustomercenterTables, CustomercenterSettings>,
  { dispatcher, myPage }: Pick<CustomercenterDeps, 'dispatcher' | 'myPage'>,
): EventHandlersFor<CustomercenterTables, (typeof customercenterConsumes)[number]> {
  async function project(trx: ServiceTrx<CustomercenterTables>, event: MyPageEvent): Promise<void> {
    const stored = await openMyPage(trx, ctx.dialect, event.orderId, event.data.phoneNumber)
    const page = evolve(stored, event)
    await saveMyPage(trx, stored.id, page)
    ctx.afterCommit(trx, () => myPage.changed(page.phoneNumber))
    const notification = notificationFor(event, page, ctx.config.templates)
    if (notification && (await recordNotification(trx, ctx.dialect, notification, ctx.now()))) {
      ctx.afterCommit(trx, dispatcher.kick)
    }
  }
  return {
    Ordered: project,
    Receipted: project,
    Made: project,
    OrderCanceled: project,
    CancelFailed: project,
    DrinkCanceled: project,
    PaymentCanceled: project,
  }
}
