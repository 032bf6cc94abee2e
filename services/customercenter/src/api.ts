import { byId, byPhoneNumber, type HttpApp, readRoutes, type ServiceContext } from '@cafeteria/platform'
import { type TSchema, Type } from 'typebox'
import type { MyPage, Notification } from './domain.ts'
import type { CustomercenterDeps } from './index.ts'
import { myPageLive } from './live.ts'
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

export function customercenterRoutes(
  app: HttpApp,
  ctx: ServiceContext<CustomercenterTables, CustomercenterSettings>,
  { myPage }: Pick<CustomercenterDeps, 'myPage'>,
) {
  myPageLive.route(app, myPage)

  readRoutes(app, 'mypages', {
    schema: MyPageView,
    view: myPageView,
    // The original's controller answered a plain array here, not a HAL collection.
    plain: true,
    search: {
      findByPhoneNumber: byPhoneNumber("A customer's orders and where each one is (My Page)", (phoneNumber) =>
        findMyPagesByPhoneNumber(ctx.db, phoneNumber),
      ),
      findByOrderId: byId("An order's My Page entry", 'orderId', (orderId) =>
        findMyPagesByOrderId(ctx.db, orderId),
      ),
    },
    one: { summary: 'One My Page entry', what: 'mypage', find: (id) => findMyPage(ctx.db, id) },
  })

  readRoutes(app, 'notifications', {
    schema: NotificationView,
    view: notificationView,
    search: {
      findByPhoneNumber: byPhoneNumber(
        'Notifications to a customer, oldest first, with their delivery status',
        (phoneNumber) => findNotificationsByPhoneNumber(ctx.db, phoneNumber),
      ),
    },
    one: { summary: 'One notification', what: 'notification', find: (id) => findNotification(ctx.db, id) },
  })
}
