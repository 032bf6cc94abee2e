import { decider, type Emitted, emits, type Rejected, rejected } from '@cafeteria/platform/decider'

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

/** An order's terms as placed, before it is recorded. */
export type OrderDraft = Pick<Order, 'phoneNumber' | 'productName' | 'qty' | 'amt'>

export type OrderCommand =
  | { readonly type: 'ConfirmPayment'; readonly paymentId: number }
  | { readonly type: 'RecordPaymentFailure'; readonly reason: RejectReason }
  | { readonly type: 'Cancel'; readonly pointsDeducted: number }
  | { readonly type: 'RecordCancelRefused' }

/** Why an order was not placed: the payment failed or timed out, was refused, or never confirmed. */
export type RejectReason = 'payment-unavailable' | 'payment-refused' | 'abandoned'

export const isVisible = (order: Order): boolean =>
  order.status !== 'Pending' && order.status !== 'PaymentFailed'

/** Why a cancel cannot start, checked before any points are deducted; undefined when it can. */
export function cancelBlocker(order: Order): string | undefined {
  if (order.status === 'OrderCanceled') return `order ${order.id} is already canceled`
  if (order.status !== 'Ordered') return `order ${order.id} is ${order.status}`
  if (order.cancelRefused) return `order ${order.id} was already started; it cannot be canceled`
  return undefined
}

/** What the order service emits: all its deciders may return, and the flows table's producers. */
export const orderEmits = emits('Ordered', 'OrderRejected', 'OrderCanceled')

/**
 * What an order's decisions record: the contract events the other services hear of, and the
 * order's own `CancelRefused` (the drink service announced the refusal already).
 */
export type OrderEvent =
  | Emitted<typeof orderEmits>
  | { readonly type: 'CancelRefused'; readonly orderId: number }

/** An order exists from the moment it is recorded as Pending; no command makes one. */
type OrderState = Order | undefined

export const orderDecider = decider(orderEmits, { initialState: () => undefined, decide, evolve })

function decide(command: OrderCommand, order: OrderState): readonly OrderEvent[] | Rejected {
  if (!order) return rejected('no such order')
  switch (command.type) {
    case 'ConfirmPayment': {
      if (order.status !== 'Pending') return rejected(`order ${order.id} is ${order.status}, not Pending`)
      const { phoneNumber, productName, qty, amt } = order
      const data = { phoneNumber, productName, qty, amt, paymentId: command.paymentId }
      return [{ type: 'Ordered', orderId: order.id, data }]
    }
    case 'RecordPaymentFailure': {
      if (order.status !== 'Pending') return rejected(`order ${order.id} is ${order.status}, not Pending`)
      // The customer is told it failed, so a payment that still goes through must be voided.
      const data = { phoneNumber: order.phoneNumber, amt: order.amt, reason: command.reason }
      return [{ type: 'OrderRejected', orderId: order.id, data }]
    }
    case 'Cancel': {
      const blocker = cancelBlocker(order)
      if (blocker || order.paymentId === null) return rejected(blocker ?? `order ${order.id} has no payment`)
      const { phoneNumber, productName, qty, amt, paymentId } = order
      const data = { phoneNumber, productName, qty, amt, paymentId, pointsDeducted: command.pointsDeducted }
      return [{ type: 'OrderCanceled', orderId: order.id, data }]
    }
    case 'RecordCancelRefused':
      // The saga's compensation: back to Ordered; the point service restores the points itself.
      if (order.status !== 'OrderCanceled')
        return rejected(`order ${order.id} is ${order.status}, not OrderCanceled`)
      return [{ type: 'CancelRefused', orderId: order.id }]
    default: {
      const exhaustive: never = command
      throw new Error(`unknown command ${JSON.stringify(exhaustive)}`)
    }
  }
}

function evolve(order: OrderState, event: OrderEvent): OrderState {
  if (!order) return order
  switch (event.type) {
    case 'Ordered':
      return { ...order, status: 'Ordered', paymentId: event.data.paymentId }
    case 'OrderRejected':
      return { ...order, status: 'PaymentFailed' }
    case 'OrderCanceled':
      return { ...order, status: 'OrderCanceled' }
    case 'CancelRefused':
      return { ...order, status: 'Ordered', cancelRefused: true }
    default: {
      const exhaustive: never = event
      throw new Error(`unknown event ${JSON.stringify(exhaustive)}`)
    }
  }
}
