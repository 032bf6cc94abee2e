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

const made = new WeakMap<ServiceMetrics, OrderMetrics>()

/** The order saga's outcomes, in the service's registry; routes, use cases and handlers share them. */
export function orderMetrics(metrics: ServiceMetrics): OrderMetrics {
  let found = made.get(metrics)
  if (!found) {
    found = create(metrics)
    for (const reason of REJECT_REASONS) found.rejected.inc({ reason }, 0)
    for (const reason of REFUSAL_REASONS) found.cancelRefused.inc({ reason }, 0)
    made.set(metrics, found)
  }
  return found
}
