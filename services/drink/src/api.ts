import {
  HalCollectionSchema,
  type HttpApp,
  halCollection,
  notFound,
  ProblemSchema,
  type ServiceContext,
} from '@cafeteria/platform'
import { Type } from 'typebox'
import type { Drink } from './domain.ts'
import { type DrinkTables, findByOrderId, findDrink, listDrinks } from './store.ts'

const Status = Type.Union([
  Type.Literal('PaymentApproved'),
  Type.Literal('Receipted'),
  Type.Literal('Made'),
  Type.Literal('DrinkCanceled'),
])
const DrinkView = Type.Object({
  id: Type.Integer(),
  orderId: Type.Integer(),
  phoneNumber: Type.String(),
  productName: Type.String(),
  qty: Type.Integer(),
  status: Status,
  createTime: Type.String({ format: 'date-time' }),
})
const Drinks = HalCollectionSchema('drinks', DrinkView)
const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })

const view = (d: Drink) => ({
  id: d.id,
  orderId: d.orderId,
  phoneNumber: d.phoneNumber,
  productName: d.productName,
  qty: d.qty,
  status: d.status,
  createTime: d.createTime.toISOString(),
})

export function drinkRoutes(app: HttpApp, ctx: ServiceContext<DrinkTables, unknown>) {
  app.get(
    '/drinks',
    {
      schema: {
        summary: 'Drink tickets, oldest first (the barista queue when filtered by status)',
        querystring: Type.Object({
          status: Type.Optional(Status),
          size: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
          after: Type.Integer({
            minimum: 0,
            maximum: Number.MAX_SAFE_INTEGER,
            default: 0,
            description: 'list tickets with an id above this',
          }),
        }),
        response: { 200: Drinks, 400: ProblemSchema },
      },
    },
    async (request) => {
      const { status, size, after } = request.query
      const drinks = await listDrinks(ctx.db, { ...(status ? { status } : {}), limit: size, afterId: after })
      return halCollection('drinks', drinks.map(view), request.url)
    },
  )

  app.get(
    '/drinks/:id',
    {
      schema: {
        summary: 'One drink ticket',
        params: Type.Object({ id: Id }),
        response: { 200: DrinkView, 404: ProblemSchema },
      },
    },
    async (request) => {
      const drink = await findDrink(ctx.db, request.params.id)
      if (!drink) throw notFound('drink', request.params.id)
      return view(drink)
    },
  )

  app.get(
    '/drinks/search/findByOrderId',
    {
      schema: {
        summary: "An order's drink tickets",
        querystring: Type.Object({ orderId: Id }),
        response: { 200: Drinks },
      },
    },
    async (request) =>
      halCollection('drinks', (await findByOrderId(ctx.db, request.query.orderId)).map(view), request.url),
  )
}
