import type { ServiceDefinition } from '@cafeteria/platform'
import { pointRoutes } from './api.ts'
import { pointHandlers } from './handlers.ts'
import { migrations } from './migrations.ts'
import { type PointSettings, pointSettings } from './settings.ts'
import type { PointTables } from './store.ts'

// What it emits and handles, held against the contracts' flows table.
export { pointEmits } from './domain.ts'
export { pointConsumes } from './handlers.ts'

export const pointService: ServiceDefinition<PointTables, PointSettings> = {
  name: 'point',
  migrations,
  settings: pointSettings,
  routes: pointRoutes,
  handlers: pointHandlers,
}
