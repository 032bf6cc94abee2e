import { EntityId } from '@cafeteria/contracts'
import {
  ByPhoneNumberQuery,
  HalCollectionSchema,
  type HttpApp,
  halCollection,
  mayView,
  notFound,
  ProblemSchema,
  type ServiceContext,
  searchedPhone,
} from '@cafeteria/platform'
import { type TSchema, Type } from 'typebox'
import type { MyPage, Notification } from './domain.ts'
import type { CustomercenterDeps } from './index.ts'
import { liveRoutes } from './live.ts'
import type { CustomercenterSettings } from './settings.ts'
import {
  type CustomercenterTables,
  findMyPage,
  findMyPagesByOrderId,
  findMyPagesByPhoneNumber,
  findNotification,
  findNotificationsByPhoneNumber,
  type Stored,
} from './store.ts'

const Id = EntityId
const Nullable = <T extends TSchema>(type: T) => Type.Union([type, Type.Null()])

const MyPageView = Type.Object({
  id: Type.Integer(),
  orderId: Type.Integer(),
  productName: Nullable(Type.String()),
  qty: Nullable(Type.Integer()),
  amt: Nullable(Type.Integer()),
  phoneNumber: Type.String(),
  status: Type.Union([
    Type.Literal('Ordered'),
    Type.Literal('Receipted'),
    Type.Literal('Made'),
    Type.Literal('OrderCanceled'),
    Type.Literal('PaymentCanceled'),
  ]),
})
// The original's controller answered a plain array here, not a HAL collection.
const MyPages = Type.Array(MyPageView)

const NotificationView = Type.Object({
  id: Type.Integer(),
  orderId: Type.Integer(),
  phoneNumber: Type.String(),
  kind: Type.String(),
  message: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('sent'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  createTime: Type.String({ format: 'date-time' }),
  sentTime: Nullable(Type.String({ format: 'date-time' })),
})
const Notifications = HalCollectionSchema('notifications', NotificationView)

const myPageView = (p: Stored<MyPage>) => ({
  id: p.id,
  orderId: p.orderId,
  productName: p.productName,
  qty: p.qty,
  amt: p.amt,
  phoneNumber: p.phoneNumber,
  status: p.status,
})

/**
 * What a customer may see of a notification. Not why a delivery failed: that is the relay's
 * answer (its hosts, its own errors), kept for operators in the log and the database only.
 */
const notificationView = (n: Notification) => ({
  id: n.id,
  orderId: n.orderId,
  phoneNumber: n.phoneNumber,
  kind: n.kind,
  message: n.message,
  status: n.status,
  attempts: n.attempts,
  createTime: n.createTime.toISOString(),
  sentTime: n.sentTime?.toISOString() ?? null,
})

const customer = { access: 'customer' } as const

export function customercenterRoutes(
  app: HttpApp,
  ctx: ServiceContext<CustomercenterTables, CustomercenterSettings>,
  { myPage }: Pick<CustomercenterDeps, 'myPage'>,
) {
  liveRoutes(app, myPage)

  app.get(
    '/mypages/search/findByPhoneNumber',
    {
      config: customer,
      schema: {
        summary: "A customer's orders and where each one is (My Page)",
        querystring: ByPhoneNumberQuery,
        response: { 200: MyPages, 400: ProblemSchema },
      },
    },
    async (request) => {
      const phoneNumber = searchedPhone(request, request.query.phoneNumber)
      return phoneNumber === null ? [] : (await findMyPagesByPhoneNumber(ctx.db, phoneNumber)).map(myPageView)
    },
  )

  app.get(
    '/mypages/search/findByOrderId',
    {
      config: customer,
      schema: {
        summary: "An order's My Page entry",
        querystring: Type.Object({ orderId: Id }),
        response: { 200: MyPages, 400: ProblemSchema },
      },
    },
    async (request) =>
      (await findMyPagesByOrderId(ctx.db, request.query.orderId))
        .filter((page) => mayView(request, page.phoneNumber))
        .map(myPageView),
  )

  app.get(
    '/mypages/:id',
    {
      config: customer,
      schema: {
        summary: 'One My Page entry',
        params: Type.Object({ id: Id }),
        response: { 200: MyPageView, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => {
      const page = await findMyPage(ctx.db, request.params.id)
      if (!page || !mayView(request, page.phoneNumber)) throw notFound('mypage', request.params.id)
      return myPageView(page)
    },
  )

  app.get(
    '/notifications/search/findByPhoneNumber',
    {
      config: customer,
      schema: {
        summary: 'Notifications to a customer, oldest first, with their delivery status',
        querystring: ByPhoneNumberQuery,
        response: { 200: Notifications, 400: ProblemSchema },
      },
    },
    async (request) => {
      const phoneNumber = searchedPhone(request, request.query.phoneNumber)
      const found = phoneNumber === null ? [] : await findNotificationsByPhoneNumber(ctx.db, phoneNumber)
      return halCollection('notifications', found.map(notificationView), request.url)
    },
  )

  app.get(
    '/notifications/:id',
    {
      config: customer,
      schema: {
        summary: 'One notification',
        params: Type.Object({ id: Id }),
        response: { 200: NotificationView, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => {
      const notification = await findNotification(ctx.db, request.params.id)
      if (!notification || !mayView(request, notification.phoneNumber)) {
        throw notFound('notification', request.params.id)
      }
      return notificationView(notification)
    },
  )
}
