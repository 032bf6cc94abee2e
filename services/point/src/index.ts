import type { ServiceDefinition } from '@cafeteria/platform'
import { pointRoutes } from './api.ts'
import { pointHandlers } from './handlers.ts'
import { type PointSettings, pointSettings } from './live.ts'
import { migrations } from './migrations.ts'
import type { PointTables } from './store.ts'

export const pointService: ServiceDefinition<PointTables, PointSettings> = {
  name: 'point',
  migrations,
  settings: pointSettings,
  routes: pointRoutes,
  handlers: pointHandlers,
}
