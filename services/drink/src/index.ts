import type { ServiceDefinition } from '@cafeteria/platform'
import { drinkRoutes } from './api.ts'
import { drinkHandlers } from './handlers.ts'
import { migrations } from './migrations.ts'
import type { DrinkTables } from './store.ts'

export const drinkService: ServiceDefinition<DrinkTables, unknown> = {
  name: 'drink',
  migrations,
  routes: drinkRoutes,
  handlers: drinkHandlers,
}
