import type { ServiceDefinition } from '@cafeteria/platform'
import { pointRoutes } from './api.ts'
import { pointHandlers } from './handlers.ts'
import { migrations } from './migrations.ts'
import type { PointTables } from './store.ts'

export const pointService: ServiceDefinition<PointTables, unknown> = {
  name: 'point',
  migrations,
  routes: pointRoutes,
  handlers: pointHandlers,
}
