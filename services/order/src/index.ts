import { createCallPolicy, type ServiceContext, type ServiceDefinition } from '@cafeteria/platform'
import { orderRoutes } from './api.ts'
import { orderHandlers } from './handlers.ts'
import { migrations } from './migrations.ts'
import { paymentGateway } from './payments.ts'
import { pointGateway } from './points.ts'
import { type OrderSettings, orderSettings } from './settings.ts'
import type { OrderTables } from './store.ts'
import { startUpkeep } from './upkeep.ts'

export type OrderContext = ServiceContext<OrderTables, OrderSettings>

export const orderService: ServiceDefinition<OrderTables, OrderSettings> = {
  name: 'order',
  migrations,
  settings: orderSettings,
  routes(app, ctx) {
    const paymentCalls = createCallPolicy({ name: 'payment', log: ctx.log, ...ctx.config.paymentCalls })
    const pointCalls = createCallPolicy({ name: 'point', log: ctx.log, ...ctx.config.pointCalls })
    ctx.reportInReadiness('payment', paymentCalls.state)
    ctx.reportInReadiness('point', pointCalls.state)
    const payments = paymentGateway({ baseUrl: ctx.config.paymentUrl, policy: paymentCalls })
    const points = pointGateway({ baseUrl: ctx.config.pointUrl, policy: pointCalls })
    ctx.onClose(() => Promise.all([payments.close(), points.close()]).then(() => undefined))
    orderRoutes(app, ctx, { payments, points })
    ctx.onClose(startUpkeep(ctx))
  },
  handlers: orderHandlers,
}
