import type { ServiceContext, ServiceDefinition } from '@cafeteria/platform'
import { orderRoutes } from './api.ts'
import { orderHandlers } from './handlers.ts'
import { forgetKeysOlderThan } from './idempotency.ts'
import { migrations } from './migrations.ts'
import { paymentGateway } from './payments.ts'
import { pointGateway } from './points.ts'
import { type OrderSettings, orderSettings } from './settings.ts'
import type { OrderTables } from './store.ts'

export type OrderContext = ServiceContext<OrderTables, OrderSettings>

export const orderService: ServiceDefinition<OrderTables, OrderSettings> = {
  name: 'order',
  migrations,
  settings: orderSettings,
  routes(app, ctx) {
    const payments = paymentGateway({
      baseUrl: ctx.config.paymentUrl,
      timeoutMs: ctx.config.paymentTimeoutMs,
    })
    const points = pointGateway({ baseUrl: ctx.config.pointUrl, timeoutMs: ctx.config.pointTimeoutMs })
    ctx.onClose(() => Promise.all([payments.close(), points.close()]).then(() => undefined))
    orderRoutes(app, ctx, { payments, points })
    const prune = () =>
      forgetKeysOlderThan(ctx.db, ctx.config.idempotencyKeyHours, ctx.now()).catch((error: unknown) =>
        ctx.log.warn({ err: error }, 'could not forget old idempotency keys'),
      )
    const pruning = setInterval(prune, 3_600_000)
    pruning.unref()
    ctx.onClose(() => clearInterval(pruning))
  },
  handlers: orderHandlers,
}
