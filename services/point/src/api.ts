import { EntityId, normalizePhoneNumber, PHONE_NUMBER_RULE, PhoneNumberInput } from '@cafeteria/contracts'
import {
  byId,
  byPhoneNumber,
  type HttpApp,
  HttpProblem,
  invalidInput,
  ProblemSchema,
  readRoutes,
  type ServiceContext,
} from '@cafeteria/platform'
import { Type } from 'typebox'
import type { PointEntry, PointRefusal } from './domain.ts'
import type { PointDeps } from './index.ts'
import { retryTransient, runCommand } from './ledger.ts'
import { pointsLive } from './live.ts'
import type { PointSettings } from './settings.ts'
import {
  type Balance,
  findBalance,
  findBalances,
  findByOrderId,
  findByPaymentId,
  findByPhoneNumber,
  findEntry,
  type PointTables,
} from './store.ts'

const Id = EntityId

const PointView = Type.Object({ id: Type.Integer(), phoneNumber: Type.String(), point: Type.Integer() })
const PointHistoryView = Type.Object({
  id: Type.Integer(),
  orderId: Type.Integer(),
  paymentId: Type.Integer(),
  productName: Type.String(),
  qty: Type.Integer(),
  amt: Type.Integer(),
  point: Type.Integer({ description: '+ for Order and Restore, − for Cancel' }),
  totalPoint: Type.Integer({ description: 'the balance right after this entry' }),
  type: Type.Union([Type.Literal('Order'), Type.Literal('Cancel'), Type.Literal('Restore')]),
  createTime: Type.String({ format: 'date-time' }),
})

// The caller is the order service; it sends the order as it was placed.
const CancelPointBody = Type.Object({
  orderId: Id,
  phoneNumber: PhoneNumberInput,
  productName: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
  qty: Type.Integer({ minimum: 1, maximum: 1000 }),
  amt: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
  paymentId: Id,
})
const CancelPointView = Type.Object({
  orderId: Type.Integer(),
  phoneNumber: Type.String(),
  point: Type.Integer({ description: 'points deducted for the order' }),
  totalPoint: Type.Integer({ description: 'the balance right after the deduction' }),
})

const pointView = (b: Balance) => ({ id: b.id, phoneNumber: b.phoneNumber, point: b.point })
const historyView = (e: PointEntry) => ({
  id: e.id,
  orderId: e.orderId,
  paymentId: e.paymentId,
  productName: e.productName,
  qty: e.qty,
  amt: e.amt,
  point: e.point,
  totalPoint: e.totalPoint,
  type: e.kind,
  createTime: e.createTime.toISOString(),
})

function refusal(reason: PointRefusal): HttpProblem {
  return reason.kind === 'not-enough'
    ? new HttpProblem(409, 'point-not-enough', 'Point is not enough.')
    : new HttpProblem(409, 'point-conflict', reason.reason)
}

function phoneNumberOf(raw: string, where: 'body'): string {
  const phoneNumber = normalizePhoneNumber(raw)
  if (!phoneNumber) throw invalidInput(where, [{ path: '/phoneNumber', message: PHONE_NUMBER_RULE }])
  return phoneNumber
}

export function pointRoutes(app: HttpApp, ctx: ServiceContext<PointTables, PointSettings>, deps: PointDeps) {
  pointsLive.route(app, deps.feed)

  app.patch(
    '/points/cancelPoint',
    {
      config: { access: 'service' },
      schema: {
        summary: "Deduct a cancelled order's points (internal; idempotent per order id)",
        body: CancelPointBody,
        response: { 200: CancelPointView, 400: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request) => {
      const command = {
        type: 'DeductPoints' as const,
        ...request.body,
        phoneNumber: phoneNumberOf(request.body.phoneNumber, 'body'),
      }
      const entry = await retryTransient(() =>
        ctx.transaction(async (trx) => {
          const outcome = await runCommand(ctx, deps, trx, command)
          // Thrown inside the transaction, so a refusal leaves nothing behind, not even a new balance row.
          if (outcome.kind === 'rejected') throw refusal(outcome.reason)
          // The balance's conditional change refused it: it no longer covered the deduction.
          if (outcome.kind === 'raced') throw refusal({ kind: 'not-enough' })
          const entry = outcome.kind === 'done' && outcome.state?.ledger.Cancel
          if (!entry) throw new Error('a deduction always decides something')
          return entry
        }),
      )
      return {
        orderId: entry.orderId,
        phoneNumber: entry.phoneNumber,
        point: -entry.point,
        totalPoint: entry.totalPoint,
      }
    },
  )

  readRoutes(app, 'points', {
    schema: PointView,
    view: pointView,
    one: {
      summary: "One phone number's point balance",
      what: 'point',
      find: (id) => findBalance(ctx.db, id),
    },
    search: {
      findByPhoneNumber: byPhoneNumber(
        "A phone number's point balance (empty before its first order)",
        (phoneNumber) => findBalances(ctx.db, phoneNumber),
      ),
    },
  })

  readRoutes(app, 'pointHistories', {
    schema: PointHistoryView,
    view: historyView,
    one: { summary: 'One point history entry', what: 'point history', find: (id) => findEntry(ctx.db, id) },
    search: {
      findByPhoneNumberOrderByCreateTime: byPhoneNumber(
        "A phone number's point history, oldest first",
        (phoneNumber) => findByPhoneNumber(ctx.db, phoneNumber),
      ),
      findByOrderId: byId("An order's point history, oldest first", 'orderId', (orderId) =>
        findByOrderId(ctx.db, orderId),
      ),
      findByPaymentId: byId("A payment's point history, oldest first", 'paymentId', (paymentId) =>
        findByPaymentId(ctx.db, paymentId),
      ),
    },
  })
}
