import type { ServiceContext, ServiceDefinition } from '@cafeteria/platform'
import { orderRoutes } from './api.ts'
import { orderHandlers } from './handlers.ts'
import { migrations } from './migrations.ts'
import { paymentGateway } from './payments.ts'
import { pointGateway } from './points.ts'
import { type OrderSettings, orderSettings } from './settings.ts'
import type { OrderTables } from './store.ts'
import { startUpkeep } from './upkeep.ts'

// What it emits and handles, held against the contracts' flows table.
export { orderEmits } from './domain.ts'
export { orderConsumes } from './handlers.ts'

export type OrderContext = ServiceContext<OrderTables, OrderSettings>

export const orderService: ServiceDefinition<OrderTables, OrderSettings> = {
  name: 'order',
  migrations,
  settings: orderSettings,
  routes(app, ctx) {
    const paymentCalls = ctx.callPolicy('payment', ctx.config.paymentCalls)
    const pointCalls = ctx.callPolicy('point', ctx.config.pointCalls)
    const replicas = {
      log: ctx.log,
      ...(ctx.config.replicasFile && { replicasFile: ctx.config.replicasFile }),
    }
    const payments = paymentGateway({ baseUrl: ctx.config.paymentUrls, policy: paymentCalls, ...replicas })
    const points = pointGateway({ baseUrl: ctx.config.pointUrls, policy: pointCalls, ...replicas })
    ctx.onClose(() => Promise.all([payments.close(), points.close()]).then(() => undefined))
    orderRoutes(app, ctx, { payments, points })
    ctx.onClose(startUpkeep(ctx, points))
  },
  handlers: orderHandlers,
}
