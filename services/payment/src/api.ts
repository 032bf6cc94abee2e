import { EntityId } from '@cafeteria/contracts'
import {
  HalCollectionSchema,
  type HttpApp,
  HttpProblem,
  halCollection,
  handleCommand,
  mayView,
  notFound,
  ProblemSchema,
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
const PaymentCollection = HalCollectionSchema('payments', PaymentView)

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
const Id = EntityId

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

  app.get(
    '/payments/:id',
    {
      config: { access: 'customer' },
      schema: {
        summary: 'One payment',
        params: Type.Object({ id: Id }),
        response: { 200: PaymentView, 404: ProblemSchema },
      },
    },
    async (request) => {
      const payment = await findPayment(ctx.db, request.params.id)
      if (!payment || !mayView(request, payment.phoneNumber)) throw notFound('payment', request.params.id)
      return view(payment)
    },
  )

  app.get(
    '/payments/search/findByOrderId',
    {
      config: { access: 'customer' },
      schema: {
        summary: "An order's payments",
        querystring: Type.Object({ orderId: Id }),
        response: { 200: PaymentCollection },
      },
    },
    async (request) => {
      const payment = await findByOrderId(ctx.db, request.query.orderId)
      const shown = payment && mayView(request, payment.phoneNumber) ? [view(payment)] : []
      return halCollection('payments', shown, request.url)
    },
  )
}
