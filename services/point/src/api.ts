import { EntityId, normalizePhoneNumber, PHONE_NUMBER_RULE, PhoneNumberInput } from '@cafeteria/contracts'
import {
  ByPhoneNumberQuery,
  HalCollectionSchema,
  type HttpApp,
  HttpProblem,
  type HttpRequest,
  halCollection,
  invalidInput,
  mayView,
  notFound,
  ProblemSchema,
  type ServiceContext,
  searchedPhone,
} from '@cafeteria/platform'
import { Type } from 'typebox'
import type { PointEntry } from './domain.ts'
import type { PointDeps } from './index.ts'
import { retryTransient, runCommand } from './ledger.ts'
import { liveRoutes } from './live.ts'
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
const Points = HalCollectionSchema('points', PointView)
const PointHistories = HalCollectionSchema('pointHistories', PointHistoryView)

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

function phoneNumberOf(raw: string, where: 'body'): string {
  const phoneNumber = normalizePhoneNumber(raw)
  if (!phoneNumber) throw invalidInput(where, [{ path: '/phoneNumber', message: PHONE_NUMBER_RULE }])
  return phoneNumber
}

export function pointRoutes(app: HttpApp, ctx: ServiceContext<PointTables, PointSettings>, deps: PointDeps) {
  liveRoutes(app, deps.feed)

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
          switch (outcome.kind) {
            case 'recorded':
            case 'already-done':
              return outcome.entry
            // Thrown inside the transaction, so a refusal leaves nothing behind, not even a new balance row.
            case 'not-enough':
              throw new HttpProblem(409, 'point-not-enough', 'Point is not enough.')
            case 'conflict':
              throw new HttpProblem(409, 'point-conflict', outcome.reason)
            case 'nothing':
              throw new Error('a deduction always decides something')
            default: {
              const _exhaustive: never = outcome
              throw new Error(`unknown outcome ${JSON.stringify(_exhaustive)}`)
            }
          }
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

  app.get(
    '/points/:id',
    {
      config: { access: 'customer' },
      schema: {
        summary: "One phone number's point balance",
        params: Type.Object({ id: Id }),
        response: { 200: PointView, 404: ProblemSchema },
      },
    },
    async (request) => {
      const balance = await findBalance(ctx.db, request.params.id)
      if (!balance || !mayView(request, balance.phoneNumber)) throw notFound('point', request.params.id)
      return pointView(balance)
    },
  )

  app.get(
    '/points/search/findByPhoneNumber',
    {
      config: { access: 'customer' },
      schema: {
        summary: "A phone number's point balance (empty before its first order)",
        querystring: ByPhoneNumberQuery,
        response: { 200: Points, 400: ProblemSchema },
      },
    },
    async (request) => {
      const phoneNumber = searchedPhone(request, request.query.phoneNumber)
      const balances = phoneNumber === null ? [] : await findBalances(ctx.db, phoneNumber)
      return halCollection('points', balances.map(pointView), request.url)
    },
  )

  app.get(
    '/pointHistories/:id',
    {
      config: { access: 'customer' },
      schema: {
        summary: 'One point history entry',
        params: Type.Object({ id: Id }),
        response: { 200: PointHistoryView, 404: ProblemSchema },
      },
    },
    async (request) => {
      const entry = await findEntry(ctx.db, request.params.id)
      if (!entry || !mayView(request, entry.phoneNumber)) throw notFound('point history', request.params.id)
      return historyView(entry)
    },
  )

  const histories = (request: HttpRequest, entries: PointEntry[]) =>
    halCollection(
      'pointHistories',
      entries.filter((e) => mayView(request, e.phoneNumber)).map(historyView),
      request.url,
    )

  app.get(
    '/pointHistories/search/findByPhoneNumberOrderByCreateTime',
    {
      config: { access: 'customer' },
      schema: {
        summary: "A phone number's point history, oldest first",
        querystring: ByPhoneNumberQuery,
        response: { 200: PointHistories, 400: ProblemSchema },
      },
    },
    async (request) => {
      const phoneNumber = searchedPhone(request, request.query.phoneNumber)
      return histories(request, phoneNumber === null ? [] : await findByPhoneNumber(ctx.db, phoneNumber))
    },
  )

  app.get(
    '/pointHistories/search/findByOrderId',
    {
      config: { access: 'customer' },
      schema: {
        summary: "An order's point history, oldest first",
        querystring: Type.Object({ orderId: Id }),
        response: { 200: PointHistories, 400: ProblemSchema },
      },
    },
    async (request) => histories(request, await findByOrderId(ctx.db, request.query.orderId)),
  )

  app.get(
    '/pointHistories/search/findByPaymentId',
    {
      config: { access: 'customer' },
      schema: {
        summary: "A payment's point history, oldest first",
        querystring: Type.Object({ paymentId: Id }),
        response: { 200: PointHistories, 400: ProblemSchema },
      },
    },
    async (request) => histories(request, await findByPaymentId(ctx.db, request.query.paymentId)),
  )
}
