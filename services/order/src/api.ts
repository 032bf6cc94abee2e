import {
  EntityId,
  normalizePhoneNumber,
  PHONE_NUMBER_RULE,
  PhoneNumberInput,
  WholeNumberInput,
  wholeNumber,
} from '@cafeteria/contracts'
import {
  type HttpApp,
  HttpProblem,
  invalidInput,
  notFound,
  ProblemSchema,
  type ServiceContext,
} from '@cafeteria/platform'
import { type Static, Type } from 'typebox'
import { cancelBlocker, decide, isVisible, type Order, type OrderDraft } from './domain.ts'
import { claim, IDEMPOTENCY_KEY } from './idempotency.ts'
import type { PaymentGateway } from './payments.ts'
import type { PointGateway } from './points.ts'
import type { OrderSettings } from './settings.ts'
import {
  appendHistory,
  findOrder,
  type HistoryEntry,
  historyOf,
  insertPending,
  type OrderTables,
  saveOrder,
} from './store.ts'

const QTY = { minimum: 1, maximum: 1000 }
const AMT = { minimum: 0, maximum: 100_000_000 }

const PlaceOrderBody = Type.Object({
  phoneNumber: PhoneNumberInput,
  productName: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
  qty: WholeNumberInput({ ...QTY, description: 'number of drinks' }),
  amt: WholeNumberInput({ ...AMT, description: 'total amount in won' }),
})

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

/** Schema checks cover shapes; these are the rules a schema cannot say. */
function toDraft(body: Static<typeof PlaceOrderBody>): OrderDraft {
  const errors: { path: string; message: string }[] = []
  const phoneNumber = normalizePhoneNumber(body.phoneNumber)
  if (!phoneNumber) errors.push({ path: '/phoneNumber', message: PHONE_NUMBER_RULE })
  const qty = wholeNumber(body.qty, QTY)
  if (qty === undefined)
    errors.push({ path: '/qty', message: `must be a whole number from ${QTY.minimum} to ${QTY.maximum}` })
  const amt = wholeNumber(body.amt, AMT)
  if (amt === undefined)
    errors.push({ path: '/amt', message: `must be a whole number from ${AMT.minimum} to ${AMT.maximum}` })
  if (!phoneNumber || qty === undefined || amt === undefined) {
    throw invalidInput('body', errors)
  }
  return { phoneNumber, productName: body.productName.trim(), qty, amt }
}

export function orderRoutes(
  app: HttpApp,
  ctx: ServiceContext<OrderTables, OrderSettings>,
  gateways: { payments: PaymentGateway; points: PointGateway },
) {
  const { payments, points } = gateways
  app.post(
    '/orders',
    {
      schema: {
        summary: 'Place an order and pay for it',
        body: PlaceOrderBody,
        headers: Type.Object({
          'idempotency-key': Type.Optional(
            Type.String({ description: 'makes retries safe: the same key and body place one order' }),
          ),
        }),
        response: {
          201: OrderView,
          400: ProblemSchema,
          409: ProblemSchema,
          422: ProblemSchema,
          503: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const draft = toDraft(request.body)
      const key = request.headers['idempotency-key']
      let pending: Order
      if (key === undefined) {
        pending = await insertPending(ctx.db, ctx.dialect, draft, ctx.now())
      } else {
        if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
          throw new HttpProblem(
            400,
            'invalid-request',
            'Idempotency-Key must be 1–100 visible ASCII characters',
          )
        }
        const claimed = await claim(ctx.db, ctx.dialect, key, draft, ctx.now())
        switch (claimed.kind) {
          case 'replay':
            return reply
              .code(201)
              .header('location', `/orders/${claimed.order.id}`)
              .header('idempotent-replayed', 'true')
              .send(view(claimed.order))
          case 'mismatch':
            throw new HttpProblem(
              422,
              'idempotency-key-reused',
              'This Idempotency-Key was used for a different order.',
            )
          case 'in-progress':
            throw new HttpProblem(
              409,
              'idempotency-key-in-progress',
              'An order with this Idempotency-Key is being placed.',
              {
                headers: { 'retry-after': '1' },
              },
            )
          case 'new':
            pending = claimed.order
            break
          default: {
            const exhaustive: never = claimed
            throw new Error(`unknown claim ${JSON.stringify(exhaustive)}`)
          }
        }
      }
      const payment = await payments.pay({
        orderId: pending.id,
        phoneNumber: draft.phoneNumber,
        amt: draft.amt,
      })
      if (!payment.ok) {
        const failed = decide(pending, { type: 'RecordPaymentFailure' })
        if (failed.ok) await saveOrder(ctx.db, failed.order, 'Pending')
        request.log.warn({ orderId: pending.id, detail: payment.detail }, 'payment failed; order not placed')
        if (payment.unavailable) {
          throw new HttpProblem(
            503,
            'payment-unavailable',
            'Payment is not available right now. Please pay again in a little while.',
            {
              headers: { 'retry-after': String(ctx.config.paymentRetryAfterSeconds) },
            },
          )
        }
        throw new HttpProblem(422, 'payment-refused', `The payment was refused: ${payment.detail}`)
      }
      const decision = decide(pending, { type: 'ConfirmPayment', paymentId: payment.paymentId })
      if (!decision.ok) throw new Error(decision.reason)
      await ctx.transaction(async (trx) => {
        if (!(await saveOrder(trx, decision.order, 'Pending')))
          throw new Error(`order ${pending.id} changed while paying`)
        await appendHistory(trx, pending.id, { status: 'Ordered', detail: null, at: ctx.now() })
        await ctx.emit(trx, decision.events)
      })
      return reply.code(201).header('location', `/orders/${pending.id}`).send(view(decision.order))
    },
  )

  app.get(
    '/orders/:id',
    { schema: { summary: 'One order', params: IdParams, response: { 200: OrderView, 404: ProblemSchema } } },
    async (request) => {
      const order = await findOrder(ctx.db, request.params.id)
      if (!order || !isVisible(order)) throw notFound('order', request.params.id)
      return view(order, await historyOf(ctx.db, order.id))
    },
  )

  app.patch(
    '/orders/:id',
    {
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
      const order = await findOrder(ctx.db, request.params.id)
      if (!order || !isVisible(order)) throw notFound('order', request.params.id)
      const blocker = cancelBlocker(order)
      if (blocker) throw new HttpProblem(409, 'not-cancellable', blocker)
      // Points first, synchronously: if they cannot be deducted, nothing changes. The point
      // service deducts once per order, so concurrent cancels share one deduction.
      const deducted = await points.deduct(order)
      if (!deducted.ok) {
        if (deducted.unavailable) {
          throw new HttpProblem(
            503,
            'point-unavailable',
            'Points cannot be checked right now. Please cancel again in a little while.',
            {
              headers: { 'retry-after': String(ctx.config.pointRetryAfterSeconds) },
            },
          )
        }
        throw new HttpProblem(409, 'points-not-deductible', deducted.detail)
      }
      const canceled = await ctx.transaction(async (trx) => {
        const current = await findOrder(trx, order.id)
        const decision = current && decide(current, { type: 'Cancel', pointsDeducted: deducted.point })
        if (!decision?.ok || !(await saveOrder(trx, decision.order, 'Ordered'))) return undefined
        await appendHistory(trx, order.id, { status: 'OrderCanceled', detail: null, at: ctx.now() })
        await ctx.emit(trx, decision.events)
        return decision.order
      })
      if (!canceled) throw new HttpProblem(409, 'not-cancellable', `order ${order.id} is already canceled`)
      return view(canceled, await historyOf(ctx.db, order.id))
    },
  )
}
