import {
  byId,
  type HttpApp,
  HttpProblem,
  handleCommand,
  ProblemSchema,
  readRoutes,
  type ServiceContext,
} from '@cafeteria/platform'
import { Type } from 'typebox'
import type { Payment } from './domain.ts'
import { paymentSteps } from './handlers.ts'
import { findByOrderId, findPayment, type PaymentTables } from './store.ts'

const PaymentView = Type.Object({
  id: Type.Integer(),
  orderId: Type.Integer(),
  phoneNumber: Type.String(),
  amt: Type.Integer(),
  status: Type.String(),
  createTime: Type.String({ format: 'date-time' }),
})

const view = (p: Payment) => ({
  id: p.id,
  orderId: p.orderId,
  phoneNumber: p.phoneNumber,
  amt: p.amt,
  status: p.status,
  createTime: p.createTime.toISOString(),
})

// The caller is the order service, which has already validated and normalised the input.
const PayBody = Type.Object({
  orderId: Type.Integer({ minimum: 1 }),
  phoneNumber: Type.String({ pattern: '^01[0-9]{8,9}$' }),
  amt: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
})

export function paymentRoutes(app: HttpApp, ctx: ServiceContext<PaymentTables, unknown>) {
  app.post(
    '/payments',
    {
      config: { access: 'service' },
      schema: {
        summary: 'Pay for an order (internal; idempotent per order id)',
        body: PayBody,
        response: { 200: PaymentView, 201: PaymentView, 400: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { orderId } = request.body
      const outcome = await handleCommand(ctx, {
        ...paymentSteps(ctx, orderId, { type: 'Pay', ...request.body, at: ctx.now() }),
        // Another request for the order (a retry, or a void) committed first: decide again.
        attempts: 4,
      })
      if (outcome.kind === 'raced') throw new Error(`payment for order ${orderId} kept racing`)
      if (outcome.kind === 'rejected') throw new HttpProblem(409, 'payment-conflict', outcome.reason)
      if (!outcome.state) throw new Error(`order ${orderId} was neither paid nor found paid`)
      return reply.code(outcome.events.length > 0 ? 201 : 200).send(view(outcome.state))
    },
  )

  readRoutes(app, 'payments', {
    schema: PaymentView,
    view,
    one: { summary: 'One payment', what: 'payment', find: (id) => findPayment(ctx.db, id) },
    search: {
      findByOrderId: byId("An order's payments", 'orderId', async (orderId) => {
        const payment = await findByOrderId(ctx.db, orderId)
        return payment ? [payment] : []
      }),
    },
  })
}
