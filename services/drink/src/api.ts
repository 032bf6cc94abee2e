import { DrinkView, DrinkViewStatus, EntityId } from '@cafeteria/contracts'
import {
  byId,
  HalCollectionSchema,
  type HttpApp,
  HttpProblem,
  halCollection,
  handleCommand,
  notFound,
  ProblemSchema,
  readRoutes,
  type ServiceContext,
} from '@cafeteria/platform'
import { Type } from 'typebox'
import { type Drink, drinkDecider } from './domain.ts'
import { savingTicket } from './handlers.ts'
import type { DrinkDeps } from './index.ts'
import { liveRoutes } from './live.ts'
import type { DrinkSettings } from './settings.ts'
import { type DrinkTables, findByOrderId, findDrink, listDrinks } from './store.ts'
import { drinkView } from './views.ts'

const Drinks = HalCollectionSchema('drinks', DrinkView)
const Id = EntityId

/** What a staff route may answer besides its own: no token or a wrong one, too many wrong ones. */
const StaffProblems = { 401: ProblemSchema, 429: ProblemSchema }

export function drinkRoutes(app: HttpApp, ctx: ServiceContext<DrinkTables, DrinkSettings>, deps: DrinkDeps) {
  const view = (drink: Drink) => drinkView(drink, ctx.access.open ? 'whole' : 'masked')
  liveRoutes(app, ctx, deps)

  app.get(
    '/drinks',
    {
      config: { access: 'staff' },
      schema: {
        summary: 'Drink tickets, oldest first (the barista queue when filtered by status)',
        querystring: Type.Object({
          status: Type.Optional(DrinkViewStatus),
          size: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
          after: Type.Integer({
            minimum: 0,
            maximum: Number.MAX_SAFE_INTEGER,
            default: 0,
            description: 'list tickets with an id above this',
          }),
        }),
        response: { 200: Drinks, 400: ProblemSchema, ...StaffProblems },
      },
    },
    async (request) => {
      const { status, size, after } = request.query
      const drinks = await listDrinks(ctx.db, { ...(status ? { status } : {}), limit: size, afterId: after })
      return halCollection('drinks', drinks.map(view), request.url)
    },
  )

  readRoutes(app, 'drinks', {
    schema: DrinkView,
    view,
    access: 'staff',
    problems: StaffProblems,
    one: { summary: 'One drink ticket', what: 'drink', find: (id) => findDrink(ctx.db, id) },
    search: {
      findByOrderId: byId("An order's drink tickets", 'orderId', (orderId) => findByOrderId(ctx.db, orderId)),
    },
  })

  app.patch(
    '/drinks/:id',
    {
      config: { access: 'staff' },
      schema: {
        summary:
          'Barista: accept (Receipted), then finish (Made) a ticket; needs the staff token (but in open mode without one)',
        params: Type.Object({ id: Id }),
        body: Type.Object({
          status: Type.String({ minLength: 1, maxLength: 40, description: '"Receipted", then "Made"' }),
        }),
        response: {
          200: DrinkView,
          400: ProblemSchema,
          404: ProblemSchema,
          409: ProblemSchema,
          ...StaffProblems,
        },
      },
    },
    async (request) => {
      const { id } = request.params
      const outcome = await handleCommand(ctx, {
        decider: drinkDecider,
        command: { type: 'Advance', to: request.body.status, at: ctx.now() },
        async load(trx) {
          const drink = await findDrink(trx, id)
          if (!drink) throw notFound('drink', id)
          return drink
        },
        save: savingTicket(ctx, deps.feeds),
      })
      if (outcome.kind === 'rejected') throw new HttpProblem(409, 'invalid-transition', outcome.reason)
      if (outcome.kind === 'raced' || !outcome.state) {
        throw new HttpProblem(409, 'invalid-transition', `drink ${id} changed meanwhile; reload it`)
      }
      const changed = { ...outcome.state, id }
      return view(changed)
    },
  )
}
