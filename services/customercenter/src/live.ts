import { normalizePhoneNumber, PHONE_NUMBER_RULE, PhoneNumberInput } from '@cafeteria/contracts'
import {
  createLiveFeed,
  type HttpApp,
  invalidInput,
  type LiveFeed,
  ProblemSchema,
  type ServiceContext,
} from '@cafeteria/platform'
import { Type } from 'typebox'
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

const feeds = new WeakMap<Context, LiveFeed>()

/** My Page of each phone number as Server-Sent Events; one feed per running service. */
export function myPageFeed(ctx: Context): LiveFeed {
  let feed = feeds.get(ctx)
  if (!feed) {
    feed = createLiveFeed({
      event: 'mypage',
      read: (phoneNumber) => readMyPage(ctx, phoneNumber),
      settings: ctx.config.live,
      log: ctx.log,
    })
    feeds.set(ctx, feed)
  }
  return feed
}

export function liveRoutes(app: HttpApp, ctx: Context) {
  const feed = myPageFeed(ctx)
  app.addHook('preClose', async () => feed.close())
  app.get(
    '/mypages/stream',
    {
      schema: {
        summary:
          'My Page as Server-Sent Events (`event: mypage`: {orders newest first, notifications newest first}), sent again on every change',
        querystring: Type.Object({ phoneNumber: PhoneNumberInput }),
        response: {
          200: {
            description: '`event: mypage`',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          400: ProblemSchema,
        },
      },
    },
    (request, reply) => {
      const phoneNumber = normalizePhoneNumber(request.query.phoneNumber)
      if (!phoneNumber) {
        throw invalidInput('querystring', [{ path: '/phoneNumber', message: PHONE_NUMBER_RULE }])
      }
      feed.serve(request, reply, phoneNumber)
    },
  )
}
