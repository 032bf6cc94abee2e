import type { ServiceDefinition } from '@cafeteria/platform'
import { pointRoutes } from './api.ts'
import { pointHandlers } from './handlers.ts'
import { migrations } from './migrations.ts'
import { type PointSettings, pointSettings } from './settings.ts'
import type { PointTables } from './store.ts'

export const pointService: ServiceDefinition<PointTables, PointSettings> = {
  name: 'point',
  migrations,
  settings: pointSettings,
  routes: pointRoutes,
  handlers: pointHandlers,
}
