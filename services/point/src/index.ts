import type { LiveFeed, ServiceContext, ServiceDefinition } from '@cafeteria/platform'
import { pointRoutes } from './api.ts'
import { pointHandlers } from './handlers.ts'
import { pointsLive } from './live.ts'
import { type PointCount, pointMetrics } from './metrics.ts'
import { migrations } from './migrations.ts'
import { type PointSettings, pointSettings } from './settings.ts'
import type { PointTables } from './store.ts'

// What it emits and handles, held against the contracts' flows table.
export { pointEmits } from './domain.ts'
export { pointConsumes } from './handlers.ts'

/** What the ledger, as the routes and the handlers run it, tells of each entry it records. */
export interface PointDeps {
  /** A phone's points as Server-Sent Events. */
  readonly feed: LiveFeed
  readonly count: PointCount
}

const compose = (ctx: ServiceContext<PointTables, PointSettings>): PointDeps => ({
  feed: pointsLive.feed(ctx),
  count: pointMetrics(ctx.metrics),
})

export const pointService: ServiceDefinition<PointTables, PointSettings, PointDeps> = {
  name: 'point',
  migrations,
  settings: pointSettings,
  compose,
  routes: pointRoutes,
  handlers: pointHandlers,
}
