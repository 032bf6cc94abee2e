import { phoneLiveView, type ServiceContext } from '@cafeteria/platform'
import type { PointSettings } from './settings.ts'
import { findBalances, latestEntries, type PointTables } from './store.ts'

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

/** Each phone's points as Server-Sent Events. */
export const pointsLive = phoneLiveView({
  path: '/points/stream',
  event: 'points',
  summary:
    "A phone's points as Server-Sent Events (`event: points`: {point, history newest first}), sent again on every change",
  read: readPoints,
})
