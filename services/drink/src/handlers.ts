import type { EventHandlers, ServiceContext } from '@cafeteria/platform'
import { ticketFor } from './domain.ts'
import { createTicket, type DrinkTables } from './store.ts'

export const drinkHandlers = (ctx: ServiceContext<DrinkTables, unknown>): EventHandlers<DrinkTables> => ({
  async Ordered(trx, event) {
    await createTicket(trx, ctx.dialect, ticketFor(event, ctx.now()))
  },
})
