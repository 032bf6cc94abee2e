import { phoneLiveView, type ServiceContext } from '@cafeteria/platform'
import type { CustomercenterSettings } from './settings.ts'
import { type CustomercenterTables, latestOfPhoneNumber } from './store.ts'

type Context = ServiceContext<CustomercenterTables, CustomercenterSettings>

/** My Page shows this many of the latest orders and messages. */
const SHOWN = 50

/** My Page as the browser shows it: the orders, newest first, with the cancel's fate; the messages. */
export async function readMyPage(ctx: Context, phoneNumber: string) {
  const { pages, notifications } = await latestOfPhoneNumber(ctx.db, phoneNumber, SHOWN)
  return {
    orders: pages.map((p) => ({
      orderId: p.orderId,
      productName: p.productName,
      qty: p.qty,
      amt: p.amt,
      status: p.status,
      cancelRequested: p.facts.cancelRequested,
      cancelRefused: p.facts.cancelFailed,
    })),
    notifications: notifications.map((n) => ({
      id: n.id,
      orderId: n.orderId,
      kind: n.kind,
      message: n.message,
      status: n.status,
      createTime: n.createTime.toISOString(),
    })),
  }
}

/** My Page of each phone number as Server-Sent Events. */
export const myPageLive = phoneLiveView({
  path: '/mypages/stream',
  event: 'mypage',
  summary:
    'My Page as Server-Sent Events (`event: mypage`: {orders newest first, notifications newest first}), sent again on every change',
  read: readMyPage,
})
