import type { ServiceDefinition } from '@cafeteria/platform'
import { orderRoutes } from './api.ts'
import { migrations } from './migrations.ts'
import { paymentGateway } from './payments.ts'
import { type OrderSettings, orderSettings } from './settings.ts'
import type { OrderTables } from './store.ts'

export const orderService: ServiceDefinition<OrderTables, OrderSettings> = {
  name: 'order',
  migrations,
  settings: orderSettings,
  routes(app, ctx) {
    const payments = paymentGateway({
      baseUrl: ctx.config.paymentUrl,
      timeoutMs: ctx.config.paymentTimeoutMs,
    })
    ctx.onClose(() => payments.close())
    orderRoutes(app, ctx, payments)
  },
}
