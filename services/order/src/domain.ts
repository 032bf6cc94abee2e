import type { NewEvent } from '@cafeteria/contracts'

/**
 * An order exists for the customer only once it is paid. It is recorded as `Pending` first, so
 * its id can key the payment; a payment that fails leaves it `PaymentFailed`, never visible.
 */
export type OrderStatus = 'Pending' | 'Ordered' | 'PaymentFailed'

export interface Order {
  readonly id: number
  readonly phoneNumber: string
  readonly productName: string
  readonly qty: number
  readonly amt: number
  readonly status: OrderStatus
  readonly paymentId: number | null
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
  | { readonly type: 'RecordPaymentFailure' }

export type Decision =
  | { readonly ok: true; readonly order: Order; readonly events: readonly NewEvent[] }
  | { readonly ok: false; readonly reason: string }

export const isVisible = (order: Order): boolean =>
  order.status !== 'Pending' && order.status !== 'PaymentFailed'

export function decide(order: Order, command: OrderCommand): Decision {
  switch (command.type) {
    case 'ConfirmPayment': {
      if (order.status !== 'Pending')
        return { ok: false, reason: `order ${order.id} is ${order.status}, not Pending` }
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
      if (order.status !== 'Pending')
        return { ok: false, reason: `order ${order.id} is ${order.status}, not Pending` }
      return { ok: true, order: { ...order, status: 'PaymentFailed' }, events: [] }
    default: {
      const exhaustive: never = command
      throw new Error(`unknown command ${JSON.stringify(exhaustive)}`)
    }
  }
}
