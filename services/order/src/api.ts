import { EntityId } from '@cafeteria/contracts'
import {
  type HttpApp,
  HttpProblem,
  invalidInput,
  mayView,
  notFound,
  ProblemSchema,
  readRoutes,
} from '@cafeteria/platform'
import { Type } from 'typebox'
import { cancelOrder } from './cancel.ts'
import { isVisible, type Order } from './domain.ts'
import { PlaceOrderBody, toDraft } from './draft.ts'
import { IDEMPOTENCY_KEY } from './idempotency.ts'
import type { OrderContext, OrderDeps } from './index.ts'
import { placeOrder } from './place.ts'
import { findOrder, type HistoryEntry, historyOf } from './store.ts'

const OrderView = Type.Object({
  id: Type.Integer(),
  phoneNumber: Type.String(),
  productName: Type.String(),
  qty: Type.Integer(),
  amt: Type.Integer(),
  status: Type.String(),
  createTime: Type.String({ format: 'date-time' }),
  history: Type.Optional(
    Type.Array(
      Type.Object({
        status: Type.String(),
        detail: Type.Optional(Type.String()),
        at: Type.String({ format: 'date-time' }),
      }),
    ),
  ),
  _links: Type.Object({
    self: Type.Object({ href: Type.String() }),
    order: Type.Object({ href: Type.String() }),
  }),
})

const IdParams = Type.Object({ id: EntityId })

const CancelBody = Type.Object({
  status: Type.Literal('OrderCanceled', { description: 'the only change a customer can make: cancel' }),
})

const view = (order: Order, history?: readonly HistoryEntry[]) => ({
  id: order.id,
  phoneNumber: order.phoneNumber,
  productName: order.productName,
  qty: order.qty,
  amt: order.amt,
  status: order.status,
  createTime: order.createTime.toISOString(),
  ...(history && {
    history: history.map((h) => ({
      status: h.status,
      ...(h.detail ? { detail: h.detail } : {}),
      at: h.at.toISOString(),
    })),
  }),
  _links: { self: { href: `/orders/${order.id}` }, order: { href: `/orders/${order.id}` } },
})

export function orderRoutes(app: HttpApp, ctx: OrderContext, deps: OrderDeps) {
  app.post(
    '/orders',
    {
      config: { access: 'customer' },
      schema: {
        summary: 'Place an order and pay for it',
        description:
          'The amount is the menu’s price × qty, computed here: an unknown or unavailable drink, or an `amt` that differs, is 422 (with `expectedAmt`). In open mode (`OPEN_API`) the original’s API: `productName` and `amt` as sent.',
        body: PlaceOrderBody,
        headers: Type.Object({
          'idempotency-key': Type.Optional(
            Type.String({ description: 'makes retries safe: the same key and body place one order' }),
          ),
        }),
        response: {
          201: OrderView,
          400: ProblemSchema,
          401: ProblemSchema,
          403: ProblemSchema,
          409: ProblemSchema,
          422: ProblemSchema,
          503: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key']
      if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
        throw invalidInput('headers', [
          { path: '/idempotency-key', message: 'must be 1–100 visible ASCII characters' },
        ])
      }
      const caller = { customer: request.customer?.phoneNumber, open: ctx.access.open }
      const draft = toDraft(request.body, caller, ctx.config.menu)
      const result = await placeOrder(ctx, deps, draft, key)
      switch (result.kind) {
        case 'placed':
        case 'replayed':
          if (result.kind === 'replayed') reply.header('idempotent-replayed', 'true')
          return reply.code(201).header('location', `/orders/${result.order.id}`).send(view(result.order))
        case 'key-reused':
          throw new HttpProblem(
            422,
            'idempotency-key-reused',
            'This Idempotency-Key was used for a different order.',
          )
        case 'key-in-progress':
          throw new HttpProblem(
            409,
            'idempotency-key-in-progress',
            'An order with this Idempotency-Key is being placed.',
            {
              headers: { 'retry-after': '1' },
            },
          )
        case 'payment-unavailable':
          throw new HttpProblem(
            503,
            'payment-unavailable',
            'Payment is not available right now. Please pay again in a little while.',
            {
              headers: { 'retry-after': String(ctx.config.paymentRetryAfterSeconds) },
            },
          )
        case 'payment-refused':
          throw new HttpProblem(422, 'payment-refused', `The payment was refused: ${result.detail}`)
        default: {
          const exhaustive: never = result
          throw new Error(`unknown result ${JSON.stringify(exhaustive)}`)
        }
      }
    },
  )

  readRoutes(app, 'orders', {
    schema: OrderView,
    view: async (order: Order) => view(order, await historyOf(ctx.db, order.id)),
    one: {
      summary: 'One order',
      what: 'order',
      async find(id) {
        const order = await findOrder(ctx.db, id)
        return order && isVisible(order) ? order : undefined
      },
    },
  })

  app.patch(
    '/orders/:id',
    {
      config: { access: 'customer' },
      schema: {
        summary:
          'Cancel an order: its points are deducted first, then the drink and the payment are cancelled',
        params: IdParams,
        body: CancelBody,
        response: {
          200: OrderView,
          400: ProblemSchema,
          404: ProblemSchema,
          409: ProblemSchema,
          503: ProblemSchema,
        },
      },
    },
    async (request) => {
      // Another customer's order is cancelled as much as an order that does not exist.
      const order = await findOrder(ctx.db, request.params.id)
      if (!order || !mayView(request, order.phoneNumber)) throw notFound('order', request.params.id)
      const result = await cancelOrder(ctx, deps, request.params.id)
      switch (result.kind) {
        case 'canceled':
          return view(result.order, await historyOf(ctx.db, result.order.id))
        case 'not-found':
          throw notFound('order', request.params.id)
        case 'not-cancellable':
          throw new HttpProblem(409, 'not-cancellable', result.reason)
        case 'points-refused':
          throw new HttpProblem(409, 'points-not-deductible', result.detail)
        case 'point-unavailable':
          throw new HttpProblem(
            503,
            'point-unavailable',
            'Points cannot be checked right now. Please cancel again in a little while.',
            {
              headers: { 'retry-after': String(ctx.config.pointRetryAfterSeconds) },
            },
          )
        default: {
          const exhaustive: never = result
          throw new Error(`unknown result ${JSON.stringify(exhaustive)}`)
        }
      }
    },
  )
}
