import type { ServiceDefinition } from '@cafeteria/platform'
import { paymentRoutes } from './api.ts'
import { paymentHandlers } from './handlers.ts'
import { migrations } from './migrations.ts'
import type { PaymentTables } from './store.ts'

// What it emits and handles, held against the contracts' flows table.
export { paymentEmits } from './domain.ts'
export { paymentConsumes } from './handlers.ts'

export const paymentService: ServiceDefinition<PaymentTables, unknown> = {
  name: 'payment',
  migrations,
  routes: paymentRoutes,
  handlers: paymentHandlers,
}
