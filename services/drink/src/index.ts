import type { ServiceDefinition } from '@cafeteria/platform'
import { drinkRoutes, staffOf } from './api.ts'
import { drinkHandlers } from './handlers.ts'
import { migrations } from './migrations.ts'
import { type DrinkSettings, drinkSettings } from './settings.ts'
import type { DrinkTables } from './store.ts'

// What it emits and handles, held against the contracts' flows table.
export { drinkEmits } from './domain.ts'
export { drinkConsumes } from './handlers.ts'

export const drinkService: ServiceDefinition<DrinkTables, DrinkSettings> = {
  name: 'drink',
  migrations,
  settings: drinkSettings,
  routes: drinkRoutes,
  handlers: drinkHandlers,
  staff: (ctx) => staffOf(ctx).only,
}
