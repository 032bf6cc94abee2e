import type { ServiceContext, ServiceDefinition } from '@cafeteria/platform'
import { orderRoutes } from './api.ts'
import { orderHandlers } from './handlers.ts'
import { type OrderMetrics, orderMetrics } from './metrics.ts'
import { migrations } from './migrations.ts'
import { type PaymentGateway, paymentGateway } from './payments.ts'
import { type PointGateway, pointGateway } from './points.ts'
import { type OrderSettings, orderSettings } from './settings.ts'
import type { OrderTables } from './store.ts'
import { upkeep } from './upkeep.ts'

// What it emits and handles, held against the contracts' flows table.
export { orderEmits } from './domain.ts'
export { orderConsumes } from './handlers.ts'

export type OrderContext = ServiceContext<OrderTables, OrderSettings>

/** What the order service's routes, handlers and upkeep share. */
export interface OrderDeps {
  readonly payments: PaymentGateway
  readonly points: PointGateway
  readonly counts: OrderMetrics
}

/** The clients of the two services order calls, each behind its breaker, and the saga's counts. */
function compose(ctx: OrderContext): OrderDeps {
  const replicas = {
    log: ctx.log,
    ...(ctx.config.replicasFile && { replicasFile: ctx.config.replicasFile }),
  }
  const paymentCalls = ctx.callPolicy('payment', ctx.config.paymentCalls)
  const pointCalls = ctx.callPolicy('point', ctx.config.pointCalls)
  const payments = paymentGateway({ baseUrl: ctx.config.paymentUrls, policy: paymentCalls, ...replicas })
  const points = pointGateway({ baseUrl: ctx.config.pointUrls, policy: pointCalls, ...replicas })
  ctx.onClose(() => Promise.all([payments.close(), points.close()]).then(() => undefined))
  return { payments, points, counts: orderMetrics(ctx.metrics) }
}

export const orderService: ServiceDefinition<OrderTables, OrderSettings, OrderDeps> = {
  name: 'order',
  migrations,
  settings: orderSettings,
  compose,
  routes: orderRoutes,
  handlers: orderHandlers,
  workers: upkeep,
}
