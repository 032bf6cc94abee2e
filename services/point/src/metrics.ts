import type { ServiceMetrics } from '@cafeteria/platform'
import type { EntryKind } from './domain.ts'

/** Counts points moved by an entry of `kind`. */
export type PointCount = (kind: EntryKind, points: number) => void

/**
 * Points moved through the ledger: issued for orders, deducted by cancels, restored by refused
 * cancels. Counted as points, not entries, so `rate()` reads as points per second. Made once by
 * the service's composition (index.ts).
 */
export function pointMetrics(metrics: ServiceMetrics): PointCount {
  const issued = metrics.counter({
    name: 'cafe_points_issued_total',
    help: 'Points accrued for paid orders',
  })
  const deducted = metrics.counter({
    name: 'cafe_points_deducted_total',
    help: 'Points deducted by cancels',
  })
  const restored = metrics.counter({
    name: 'cafe_points_restored_total',
    help: 'Points given back after a cancel the barista refused',
  })
  const byKind: Record<EntryKind, typeof issued> = { Order: issued, Cancel: deducted, Restore: restored }
  return (kind, points) => byKind[kind].inc(Math.abs(points))
}
