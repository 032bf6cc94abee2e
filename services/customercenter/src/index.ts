import type { LiveFeed, PendingWorker, ServiceContext, ServiceDefinition } from '@cafeteria/platform'
import { customercenterRoutes } from './api.ts'
import { createDispatcher } from './dispatcher.ts'
import { customercenterHandlers } from './handlers.ts'
import { myPageLive } from './live.ts'
import { migrations } from './migrations.ts'
import { createNotifier, type Notifier } from './notifier.ts'
import { type CustomercenterSettings, customercenterSettings } from './settings.ts'
import { signInRoutes } from './sign-in-api.ts'
import type { CustomercenterTables } from './store.ts'

// What it handles (it emits nothing), held against the contracts' flows table.
export { customercenterConsumes } from './handlers.ts'

export type { CustomercenterSettings } from './settings.ts'

type Context = ServiceContext<CustomercenterTables, CustomercenterSettings>

/** What the customer center's routes, handlers and dispatcher share. */
export interface CustomercenterDeps {
  /** The order messages and the sign-in codes go the same way. */
  readonly notifier: Notifier
  /** My Page as Server-Sent Events: served by the routes, told of changes by the handlers. */
  readonly myPage: LiveFeed
  /** Delivers the notifications the handlers record. */
  readonly dispatcher: PendingWorker
}

function compose(ctx: Context): CustomercenterDeps {
  const { notifier: settings, delivery } = ctx.config
  const notifier = createNotifier(settings, ctx.log.child({ component: 'notifier' }))
  const myPage = myPageLive.feed(ctx)
  const dispatcher = createDispatcher({
    transaction: ctx.transaction,
    dialect: ctx.dialect,
    notifier,
    log: ctx.log.child({ component: 'dispatcher' }),
    now: ctx.now,
    delivery,
    // Long enough for a delivery to time out and be recorded before anyone else retries it.
    leaseMs: (settings.kind === 'webhook' ? settings.timeoutMs : 0) + 30_000,
    settled: (notification) => myPage.changed(notification.phoneNumber),
  })
  return { notifier, myPage, dispatcher }
}

export const customercenterService: ServiceDefinition<
  CustomercenterTables,
  CustomercenterSettings,
  CustomercenterDeps
> = {
  name: 'customercenter',
  migrations,
  settings: customercenterSettings,
  compose,
  routes(app, ctx, deps) {
    customercenterRoutes(app, ctx, deps)
    signInRoutes(app, ctx, deps.notifier)
  },
  handlers: customercenterHandlers,
  workers: (_ctx, { dispatcher }) => [dispatcher],
}
