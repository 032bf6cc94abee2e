import type { EventOf } from '@cafeteria/contracts'

/**
 * A drink ticket, as the barista sees it. `PaymentApproved` is the original's name for a ticket
 * waiting for the barista; the barista moves it to `Receipted`, then `Made`.
 */
export type DrinkStatus = 'PaymentApproved' | 'Receipted' | 'Made' | 'DrinkCanceled'

export interface Drink {
  readonly id: number
  readonly orderId: number
  readonly phoneNumber: string
  readonly productName: string
  readonly qty: number
  readonly status: DrinkStatus
  readonly createTime: Date
}

/** A paid order becomes a waiting ticket, with everything the barista needs from the one event. */
export const ticketFor = (event: EventOf<'Ordered'>, now: Date): Omit<Drink, 'id'> => ({
  orderId: event.orderId,
  phoneNumber: event.data.phoneNumber,
  productName: event.data.productName,
  qty: event.data.qty,
  status: 'PaymentApproved',
  createTime: now,
})
