import type { EventOf } from '@cafeteria/contracts'
import { type NotificationKind, render, type Templates } from './templates.ts'

/**
 * My Page, the customer's view of an order, is folded from events that may arrive in any order
 * and more than once. So it keeps facts, not a status: each fact only ever turns true, the
 * details are filled from whichever event carries them first, and the status is derived from the
 * facts. The same set of events gives the same page whatever their order; a repeat changes nothing.
 */

export type MyPageStatus = 'Ordered' | 'Receipted' | 'Made' | 'OrderCanceled' | 'PaymentCanceled'

export interface OrderFacts {
  readonly ordered: boolean
  readonly receipted: boolean
  readonly made: boolean
  readonly cancelRequested: boolean
  readonly cancelFailed: boolean
  readonly drinkCanceled: boolean
  readonly paymentCanceled: boolean
}

export interface MyPage {
  readonly orderId: number
  readonly phoneNumber: string
  /** Unknown (null) only until an event carrying it arrives. */
  readonly productName: string | null
  readonly qty: number | null
  readonly amt: number | null
  readonly facts: OrderFacts
  readonly status: MyPageStatus
}

export type MyPageEventType =
  | 'Ordered'
  | 'Receipted'
  | 'Made'
  | 'OrderCanceled'
  | 'CancelFailed'
  | 'DrinkCanceled'
  | 'PaymentCanceled'
export type MyPageEvent = EventOf<MyPageEventType>

export const noFacts: OrderFacts = {
  ordered: false,
  receipted: false,
  made: false,
  cancelRequested: false,
  cancelFailed: false,
  drinkCanceled: false,
  paymentCanceled: false,
}

/**
 * A customer cancels an order at most once: a cancel refused because the barista had started is
 * final. So a cancel request without a refusal means the order is (being) cancelled, and a
 * refused one leaves the order wherever the drink is.
 */
export function statusOf(facts: OrderFacts): MyPageStatus {
  if (facts.paymentCanceled) return 'PaymentCanceled'
  if (facts.cancelRequested && !facts.cancelFailed) return 'OrderCanceled'
  if (facts.made) return 'Made'
  if (facts.receipted) return 'Receipted'
  return 'Ordered'
}

/** What an event tells about its order, including what it implies about the steps before it. */
export function factsOf(event: MyPageEvent): Partial<OrderFacts> {
  switch (event.type) {
    case 'Ordered':
      return { ordered: true }
    case 'Receipted':
      return { receipted: true }
    case 'Made':
      return { made: true }
    case 'OrderCanceled':
      return { cancelRequested: true }
    // The drink service refuses a cancel only for a drink it has Receipted or Made.
    case 'CancelFailed':
      return {
        cancelRequested: true,
        cancelFailed: true,
        ...(event.data.drinkStatus === 'Made' ? { made: true } : { receipted: true }),
      }
    // A drink is cancelled only because its order was.
    case 'DrinkCanceled':
      return { cancelRequested: true, drinkCanceled: true }
    case 'PaymentCanceled':
      return { paymentCanceled: true }
    default: {
      const exhaustive: never = event
      throw new Error(`unexpected event ${JSON.stringify(exhaustive)}`)
    }
  }
}

const fieldOf = <K extends 'productName' | 'qty' | 'amt'>(event: MyPageEvent, key: K) => {
  const data = event.data as Partial<Record<K, MyPage[K]>>
  return data[key] ?? null
}

/** Folds one event into the page; `page` is undefined before the order's first event. */
export function evolve(page: MyPage | undefined, event: MyPageEvent): MyPage {
  const facts: Record<keyof OrderFacts, boolean> = { ...(page?.facts ?? noFacts) }
  const told = factsOf(event)
  for (const name of Object.keys(told) as Array<keyof OrderFacts>) {
    if (told[name]) facts[name] = true
  }
  return {
    orderId: event.orderId,
    phoneNumber: page?.phoneNumber ?? event.data.phoneNumber,
    productName: page?.productName ?? fieldOf(event, 'productName'),
    qty: page?.qty ?? fieldOf(event, 'qty'),
    amt: page?.amt ?? fieldOf(event, 'amt'),
    facts,
    status: statusOf(facts),
  }
}

/** The customer hears of each step once; the steps of a cancel in progress stay silent. */
export function notificationKindOf(event: MyPageEvent): NotificationKind | undefined {
  switch (event.type) {
    case 'Ordered':
    case 'Receipted':
    case 'Made':
    case 'PaymentCanceled':
    case 'CancelFailed':
      return event.type
    case 'OrderCanceled':
    case 'DrinkCanceled':
      return undefined
    default: {
      const exhaustive: never = event
      throw new Error(`unexpected event ${JSON.stringify(exhaustive)}`)
    }
  }
}

export interface NotificationDraft {
  readonly orderId: number
  readonly phoneNumber: string
  readonly kind: NotificationKind
  readonly message: string
}

/** The message an event sends, worded by the configured templates with what the page knows. */
export function notificationFor(
  event: MyPageEvent,
  page: MyPage,
  templates: Templates,
): NotificationDraft | undefined {
  const kind = notificationKindOf(event)
  if (!kind) return undefined
  const message = render(templates[kind], {
    orderId: page.orderId,
    phoneNumber: page.phoneNumber,
    productName: page.productName,
    qty: page.qty,
    amt: page.amt,
    status: page.status,
  })
  return { orderId: page.orderId, phoneNumber: page.phoneNumber, kind, message }
}

export type NotificationStatus = 'pending' | 'sent' | 'failed'

export interface Notification extends NotificationDraft {
  readonly id: number
  readonly status: NotificationStatus
  /** Deliveries started, counting the one in hand once it is claimed. */
  readonly attempts: number
  readonly lastError: string | null
  readonly createTime: Date
  readonly sentTime: Date | null
}

export type DeliveryResult = { readonly ok: true } | { readonly ok: false; readonly error: string }

export type AttemptOutcome =
  | { readonly status: 'sent'; readonly sentTime: Date }
  | { readonly status: 'pending'; readonly nextAttemptAt: Date; readonly lastError: string }
  | { readonly status: 'failed'; readonly lastError: string }

/** After a delivery attempt: sent, tried again later (backing off), or given up and kept as failed. */
export function settleAttempt(
  notification: Pick<Notification, 'attempts'>,
  result: DeliveryResult,
  policy: { now: Date; maxAttempts: number; retryDelay: (attempt: number) => number },
): AttemptOutcome {
  if (result.ok) return { status: 'sent', sentTime: policy.now }
  if (notification.attempts >= policy.maxAttempts) return { status: 'failed', lastError: result.error }
  const delay = policy.retryDelay(notification.attempts)
  return {
    status: 'pending',
    nextAttemptAt: new Date(policy.now.getTime() + delay),
    lastError: result.error,
  }
}
