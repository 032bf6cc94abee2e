import type { ServiceMetrics } from '@cafeteria/platform'

export type OrderMetrics = ReturnType<typeof create>

const create = (metrics: ServiceMetrics) => ({
  placed: metrics.counter({
    name: 'cafe_orders_placed_total',
    help: 'Orders paid and placed (Ordered emitted)',
  }),
  rejected: metrics.counter({
    name: 'cafe_orders_rejected_total',
    help:
      'Orders not placed, by reason: circuit-open (refused at once, nothing written), payment-unavailable ' +
      '(payment failed or timed out), payment-refused (payment said no), abandoned (left paying by a dead process)',
    labelNames: ['reason'],
  }),
  canceled: metrics.counter({
    name: 'cafe_orders_canceled_total',
    help: 'Cancels recorded after the points were deducted (OrderCanceled emitted)',
  }),
  cancelRefused: metrics.counter({
    name: 'cafe_order_cancels_refused_total',
    help:
      'Cancels refused, by reason: point-unavailable, points-refused (balance too low), not-cancellable, ' +
      'drink-started (the barista had begun: compensated, the order is Ordered again)',
    labelNames: ['reason'],
  }),
  refunded: metrics.counter({
    name: 'cafe_orders_refunded_total',
    help: 'Canceled orders whose payment was refunded (PaymentCanceled)',
  }),
})

// Known from the start, so a first refusal shows as an increase rather than a new series.
const REJECT_REASONS = ['circuit-open', 'payment-unavailable', 'payment-refused', 'abandoned']
const REFUSAL_REASONS = ['point-unavailable', 'points-refused', 'not-cancellable', 'drink-started']

/**
 * The order saga's outcomes, in the service's registry; made once by the service's composition
 * (index.ts) and shared by its routes, use cases and handlers.
 */
export function orderMetrics(metrics: ServiceMetrics): OrderMetrics {
  const counts = create(metrics)
  for (const reason of REJECT_REASONS) counts.rejected.inc({ reason }, 0)
  for (const reason of REFUSAL_REASONS) counts.cancelRefused.inc({ reason }, 0)
  return counts
}
