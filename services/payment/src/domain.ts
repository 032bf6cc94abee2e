import { decider, type Emitted, emits, type Rejected, rejected } from '@cafeteria/platform/decider'

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

/** A payment as decisions see it: its `id` comes once the store has it. */
export type PaymentState = (Omit<Payment, 'id'> & { readonly id?: number }) | undefined

interface OrderTerms {
  readonly orderId: number
  readonly phoneNumber: string
  readonly amt: number
  readonly at: Date
}

export type PaymentCommand =
  | ({ readonly type: 'Pay' } & OrderTerms)
  /** A cancelled drink refunds its order's payment, once. */
  | { readonly type: 'Refund' }
  /** The order was rejected: its payment, made or still to come, must not stand. */
  | ({ readonly type: 'Void' } & OrderTerms)

/** What the payment service emits: all its deciders may return, and the flows table's producers. */
export const paymentEmits = emits('PaymentApproved', 'PaymentVoided', 'PaymentCanceled')

/**
 * What a payment's decisions record. The contract events are announced with the payment's id,
 * which the store gives a new payment; `PaymentRefusedAhead` (a voided row left for a payment
 * that has not arrived yet) is the service's own.
 */
export type PaymentEvent =
  | ({ readonly type: 'PaymentApproved' } & OrderTerms)
  | { readonly type: 'PaymentCanceled'; readonly orderId: number }
  | { readonly type: 'PaymentVoided'; readonly orderId: number }
  | ({ readonly type: 'PaymentRefusedAhead' } & OrderTerms)

function decide(command: PaymentCommand, payment: PaymentState): readonly PaymentEvent[] | Rejected {
  switch (command.type) {
    case 'Pay':
      return decidePay(command, payment)
    case 'Refund':
      if (payment?.status !== 'PaymentApproved') return []
      return [{ type: 'PaymentCanceled', orderId: payment.orderId }]
    case 'Void': {
      // No payment yet: leave a voided row so the late payment is refused when it arrives.
      if (!payment) return [{ ...command, type: 'PaymentRefusedAhead' }]
      if (payment.status !== 'PaymentApproved') return []
      // A payment went through for an order the customer was told failed: take it back.
      return [{ type: 'PaymentVoided', orderId: payment.orderId }]
    }
    default: {
      const exhaustive: never = command
      throw new Error(`unknown command ${JSON.stringify(exhaustive)}`)
    }
  }
}

/** Payment is idempotent per order: a repeat with the same terms is the same payment. */
function decidePay(command: OrderTerms, existing: PaymentState): readonly PaymentEvent[] | Rejected {
  if (!existing) return [{ ...command, type: 'PaymentApproved' }]
  if (existing.status === 'PaymentVoided') {
    return rejected(`order ${command.orderId} was rejected; it cannot be paid any more`)
  }
  if (existing.phoneNumber !== command.phoneNumber || existing.amt !== command.amt) {
    return rejected(`order ${command.orderId} was already paid with different terms`)
  }
  // The same order paid again (a retry): the payment made the first time is the answer.
  return []
}

function evolve(payment: PaymentState, event: PaymentEvent): PaymentState {
  switch (event.type) {
    case 'PaymentApproved':
    case 'PaymentRefusedAhead': {
      const { orderId, phoneNumber, amt, at } = event
      const status = event.type === 'PaymentApproved' ? 'PaymentApproved' : 'PaymentVoided'
      return { orderId, phoneNumber, amt, status, createTime: at }
    }
    case 'PaymentCanceled':
    case 'PaymentVoided':
      return payment && { ...payment, status: event.type }
    default: {
      const exhaustive: never = event
      throw new Error(`unknown event ${JSON.stringify(exhaustive)}`)
    }
  }
}

/** The contract events that announce a saved payment: its id, phone and amount. */
export const announce = (events: readonly PaymentEvent[], payment: Payment): Emitted<typeof paymentEmits>[] =>
  events.flatMap((event) =>
    event.type === 'PaymentRefusedAhead'
      ? []
      : [
          {
            type: event.type,
            orderId: event.orderId,
            data: { paymentId: payment.id, phoneNumber: payment.phoneNumber, amt: payment.amt },
          },
        ],
  )

export const paymentDecider = decider(paymentEmits, { initialState: () => undefined, decide, evolve })
