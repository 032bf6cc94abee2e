import type { ServiceDefinition } from '@cafeteria/platform'
import { paymentRoutes } from './api.ts'
import { paymentHandlers } from './handlers.ts'
import { migrations } from './migrations.ts'
import type { PaymentTables } from './store.ts'

export const paymentService: ServiceDefinition<PaymentTables, unknown> = {
  name: 'payment',
  migrations,
  routes: paymentRoutes,
  handlers: paymentHandlers,
}
