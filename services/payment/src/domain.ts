import type { EventType, NewEventOf } from '@cafeteria/contracts'

/** What the payment service emits: all its deciders may return, and the flows table's producers. */
export const paymentEmits = [
  'PaymentApproved',
  'PaymentVoided',
  'PaymentCanceled',
] as const satisfies readonly EventType[]
export type PaymentEmitted = NewEventOf<(typeof paymentEmits)[number]>

/**
 * `PaymentVoided`: the order was rejected (the customer was told it failed), so a payment that
 * went through anyway is voided, and one that had not arrived yet is refused when it does.
 */
export type PaymentStatus = 'PaymentApproved' | 'PaymentCanceled' | 'PaymentVoided'

export interface Payment {
  readonly id: number
  readonly orderId: number
  readonly phoneNumber: string
  readonly amt: number
  readonly status: PaymentStatus
  readonly createTime: Date
}

export interface PayCommand {
  readonly type: 'Pay'
  readonly orderId: number
  readonly phoneNumber: string
  readonly amt: number
}

export type PayDecision =
  | { readonly kind: 'approve' }
  /** The same order paid again (a retry): answer with the payment made the first time. */
  | { readonly kind: 'already-paid'; readonly payment: Payment }
  | { readonly kind: 'conflict'; readonly reason: string }

/** Payment is idempotent per order: a repeat with the same terms is the same payment. */
export function decidePay(command: PayCommand, existing: Payment | undefined): PayDecision {
  if (!existing) return { kind: 'approve' }
  if (existing.status === 'PaymentVoided') {
    return { kind: 'conflict', reason: `order ${command.orderId} was rejected; it cannot be paid any more` }
  }
  if (existing.phoneNumber !== command.phoneNumber || existing.amt !== command.amt) {
    return { kind: 'conflict', reason: `order ${command.orderId} was already paid with different terms` }
  }
  return { kind: 'already-paid', payment: existing }
}

export const approvedEvents = (payment: Payment): PaymentEmitted[] => [
  {
    type: 'PaymentApproved',
    orderId: payment.orderId,
    data: { paymentId: payment.id, phoneNumber: payment.phoneNumber, amt: payment.amt },
  },
]

/** A cancelled drink refunds its order's payment, once. */
export function decideRefund(
  payment: Payment | undefined,
): { refunded: Payment; events: PaymentEmitted[] } | undefined {
  if (payment?.status !== 'PaymentApproved') return undefined
  const refunded: Payment = { ...payment, status: 'PaymentCanceled' }
  return {
    refunded,
    events: [
      {
        type: 'PaymentCanceled',
        orderId: payment.orderId,
        data: { paymentId: payment.id, phoneNumber: payment.phoneNumber, amt: payment.amt },
      },
    ],
  }
}

export type VoidDecision =
  /** A payment went through for an order the customer was told failed: take it back. */
  | { readonly kind: 'void'; readonly voided: Payment; readonly events: PaymentEmitted[] }
  /** No payment yet: leave a voided row so the late payment is refused when it arrives. */
  | { readonly kind: 'refuse-ahead' }
  | { readonly kind: 'nothing' }

export function decideVoid(existing: Payment | undefined): VoidDecision {
  if (!existing) return { kind: 'refuse-ahead' }
  if (existing.status !== 'PaymentApproved') return { kind: 'nothing' }
  const voided: Payment = { ...existing, status: 'PaymentVoided' }
  const { id: paymentId, phoneNumber, amt } = voided
  return {
    kind: 'void',
    voided,
    events: [{ type: 'PaymentVoided', orderId: voided.orderId, data: { paymentId, phoneNumber, amt } }],
  }
}
