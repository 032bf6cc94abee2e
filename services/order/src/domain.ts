import type { EventType, NewEventOf } from '@cafeteria/contracts'

/** What the order service emits: all its deciders may return, and the flows table's producers. */
export const orderEmits = [
  'Ordered',
  'OrderRejected',
  'OrderCanceled',
] as const satisfies readonly EventType[]
export type OrderEmitted = NewEventOf<(typeof orderEmits)[number]>

/**
 * An order exists for the customer only once it is paid. It is recorded as `Pending` first, so
 * its id can key the payment; a payment that fails leaves it `PaymentFailed`, never visible.
 * A paid order can be cancelled once; if the barista had already started, the cancel is refused
 * and the order is `Ordered` again, for good.
 */
export type OrderStatus = 'Pending' | 'Ordered' | 'OrderCanceled' | 'PaymentFailed'

export interface Order {
  readonly id: number
  readonly phoneNumber: string
  readonly productName: string
  readonly qty: number
  readonly amt: number
  readonly status: OrderStatus
  readonly paymentId: number | null
  /** The barista had started when a cancel came: no further cancel can succeed. */
  readonly cancelRefused: boolean
  readonly createTime: Date
}

export interface OrderDraft {
  readonly phoneNumber: string
  readonly productName: string
  readonly qty: number
  readonly amt: number
}

export type OrderCommand =
  | { readonly type: 'ConfirmPayment'; readonly paymentId: number }
  | { readonly type: 'RecordPaymentFailure'; readonly reason: RejectReason }
  | { readonly type: 'Cancel'; readonly pointsDeducted: number }
  | { readonly type: 'RecordCancelRefused' }

/** Why an order was not placed: the payment failed or timed out, was refused, or never confirmed. */
export type RejectReason = 'payment-unavailable' | 'payment-refused' | 'abandoned'

export type Decision =
  | { readonly ok: true; readonly order: Order; readonly events: readonly OrderEmitted[] }
  | { readonly ok: false; readonly reason: string }

export const isVisible = (order: Order): boolean =>
  order.status !== 'Pending' && order.status !== 'PaymentFailed'

/** Why a cancel cannot start, checked before any points are deducted; undefined when it can. */
export function cancelBlocker(order: Order): string | undefined {
  if (order.status === 'OrderCanceled') return `order ${order.id} is already canceled`
  if (order.status !== 'Ordered') return `order ${order.id} is ${order.status}`
  if (order.cancelRefused) return `order ${order.id} was already started; it cannot be canceled`
  return undefined
}

const refuse = (reason: string): Decision => ({ ok: false, reason })

export function decide(order: Order, command: OrderCommand): Decision {
  switch (command.type) {
    case 'ConfirmPayment': {
      if (order.status !== 'Pending') return refuse(`order ${order.id} is ${order.status}, not Pending`)
      const paid: Order = { ...order, status: 'Ordered', paymentId: command.paymentId }
      const { phoneNumber, productName, qty, amt } = paid
      return {
        ok: true,
        order: paid,
        events: [
          {
            type: 'Ordered',
            orderId: order.id,
            data: { phoneNumber, productName, qty, amt, paymentId: command.paymentId },
          },
        ],
      }
    }
    case 'RecordPaymentFailure':
      if (order.status !== 'Pending') return refuse(`order ${order.id} is ${order.status}, not Pending`)
      // The customer is told it failed, so a payment that still goes through must be voided.
      return {
        ok: true,
        order: { ...order, status: 'PaymentFailed' },
        events: [
          {
            type: 'OrderRejected',
            orderId: order.id,
            data: { phoneNumber: order.phoneNumber, amt: order.amt, reason: command.reason },
          },
        ],
      }
    case 'Cancel': {
      const blocker = cancelBlocker(order)
      if (blocker || order.paymentId === null) return refuse(blocker ?? `order ${order.id} has no payment`)
      const { phoneNumber, productName, qty, amt, paymentId } = order
      return {
        ok: true,
        order: { ...order, status: 'OrderCanceled' },
        events: [
          {
            type: 'OrderCanceled',
            orderId: order.id,
            data: { phoneNumber, productName, qty, amt, paymentId, pointsDeducted: command.pointsDeducted },
          },
        ],
      }
    }
    case 'RecordCancelRefused':
      // The saga's compensation: back to Ordered; the point service restores the points itself.
      if (order.status !== 'OrderCanceled')
        return refuse(`order ${order.id} is ${order.status}, not OrderCanceled`)
      return { ok: true, order: { ...order, status: 'Ordered', cancelRefused: true }, events: [] }
    default: {
      const exhaustive: never = command
      throw new Error(`unknown command ${JSON.stringify(exhaustive)}`)
    }
  }
}
