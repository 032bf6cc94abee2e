import { normalizePhoneNumber, PHONE_NUMBER_RULE, PhoneNumberInput } from '@cafeteria/contracts'
import {
  type ConfigReader,
  createLiveFeed,
  type HttpApp,
  invalidInput,
  type LiveFeed,
  type LiveSettings,
  liveSettings,
  ProblemSchema,
  type ServiceContext,
} from '@cafeteria/platform'
import { Type } from 'typebox'
import { findBalances, latestEntries, type PointTables } from './store.ts'

export interface PointSettings {
  readonly live: LiveSettings
}
export const pointSettings = (read: ConfigReader): PointSettings => ({ live: liveSettings(read) })

type Context = ServiceContext<PointTables, PointSettings>

/** The history My Page shows: this many of the latest entries. */
const SHOWN = 50

/** A phone's balance and its latest entries, newest first. */
export async function readPoints(ctx: Context, phoneNumber: string) {
  const [balances, entries] = await Promise.all([
    findBalances(ctx.db, phoneNumber),
    latestEntries(ctx.db, phoneNumber, SHOWN),
  ])
  return {
    point: balances[0]?.point ?? 0,
    history: entries.map((e) => ({
      orderId: e.orderId,
      productName: e.productName,
      point: e.point,
      totalPoint: e.totalPoint,
      type: e.kind,
      createTime: e.createTime.toISOString(),
    })),
  }
}

const feeds = new WeakMap<Context, LiveFeed>()

/** Each phone's points as Server-Sent Events; one feed per running service. */
export function pointFeed(ctx: Context): LiveFeed {
  let feed = feeds.get(ctx)
  if (!feed) {
    feed = createLiveFeed({
      event: 'points',
      read: (phoneNumber) => readPoints(ctx, phoneNumber),
      settings: ctx.config.live,
      log: ctx.log,
    })
    feeds.set(ctx, feed)
  }
  return feed
}

export function liveRoutes(app: HttpApp, ctx: Context) {
  const feed = pointFeed(ctx)
  app.addHook('preClose', async () => feed.close())
  app.get(
    '/points/stream',
    {
      schema: {
        summary:
          "A phone's points as Server-Sent Events (`event: points`: {point, history newest first}), sent again on every change",
        querystring: Type.Object({ phoneNumber: PhoneNumberInput }),
        response: {
          200: {
            description: '`event: points`',
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
