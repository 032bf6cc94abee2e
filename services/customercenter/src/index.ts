import { perService, type ServiceContext, type ServiceDefinition } from '@cafeteria/platform'
import { customercenterRoutes } from './api.ts'
import { startDispatcher } from './dispatcher.ts'
import { customercenterHandlers } from './handlers.ts'
import { myPageFeed } from './live.ts'
import { migrations } from './migrations.ts'
import { createNotifier } from './notifier.ts'
import { type CustomercenterSettings, customercenterSettings } from './settings.ts'
import { signInRoutes } from './sign-in-api.ts'
import type { CustomercenterTables } from './store.ts'

// What it handles (it emits nothing), held against the contracts' flows table.
export { customercenterConsumes } from './handlers.ts'

export type { CustomercenterSettings } from './settings.ts'

/** One notifier per running service: the order messages and the sign-in codes go the same way. */
const notifierOf = perService((ctx: ServiceContext<CustomercenterTables, CustomercenterSettings>) =>
  createNotifier(ctx.config.notifier, ctx.log.child({ component: 'notifier' })),
)

export const customercenterService: ServiceDefinition<CustomercenterTables, CustomercenterSettings> = {
  name: 'customercenter',
  migrations,
  settings: customercenterSettings,
  routes(app, ctx) {
    customercenterRoutes(app, ctx)
    signInRoutes(app, ctx, notifierOf(ctx))
  },
  handlers(ctx) {
    const { notifier, delivery } = ctx.config
    const dispatcher = startDispatcher({
      transaction: ctx.transaction,
      dialect: ctx.dialect,
      notifier: notifierOf(ctx),
      log: ctx.log.child({ component: 'dispatcher' }),
      now: ctx.now,
      delivery,
      // Long enough for a delivery to time out and be recorded before anyone else retries it.
      leaseMs: (notifier.kind === 'webhook' ? notifier.timeoutMs : 0) + 30_000,
      settled: (notification) => myPageFeed(ctx).changed(notification.phoneNumber),
    })
    ctx.onClose(() => dispatcher.stop())
    return customercenterHandlers(ctx, dispatcher)
  },
}
