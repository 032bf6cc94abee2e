import type { ServiceContext, ServiceDefinition } from '@cafeteria/platform'
import { drinkRoutes } from './api.ts'
import { drinkHandlers } from './handlers.ts'
import { type DrinkFeeds, drinkFeeds } from './live.ts'
import { migrations } from './migrations.ts'
import { type DrinkSettings, drinkSettings } from './settings.ts'
import { type StaffCheck, staffCheck } from './staff.ts'
import type { DrinkTables } from './store.ts'

// What it emits and handles, held against the contracts' flows table.
export { drinkEmits } from './domain.ts'
export { drinkConsumes } from './handlers.ts'

/** What the drink service's routes and handlers share. */
export interface DrinkDeps {
  /** The queue and the barista's board: served by the routes, told of changes by the handlers. */
  readonly feeds: DrinkFeeds
  /** The barista's token check: the routes and the platform's guard share it (and its counts). */
  readonly staff: StaffCheck
}

function compose(ctx: ServiceContext<DrinkTables, DrinkSettings>): DrinkDeps {
  return {
    feeds: drinkFeeds(ctx),
    staff: staffCheck({
      token: ctx.config.staffToken,
      open: ctx.access.open,
      failuresPerMinute: ctx.config.staffFailuresPerMinute,
      log: ctx.log,
    }),
  }
}

export const drinkService: ServiceDefinition<DrinkTables, DrinkSettings, DrinkDeps> = {
  name: 'drink',
  migrations,
  settings: drinkSettings,
  compose,
  routes: drinkRoutes,
  handlers: drinkHandlers,
  staff: (_ctx, { staff }) => staff.only,
}
