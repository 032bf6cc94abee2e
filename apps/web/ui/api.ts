import type { DrinkView } from '@cafeteria/contracts'

/** Calls to the public API through the gateway, answered as data or as an RFC 7807 problem. */
export interface Problem {
  /** 0 when the server could not be reached. */
  readonly status: number
  readonly detail: string
  readonly type?: string
  readonly retryAfterSeconds?: number
}

export type Answer<T> =
  | { readonly ok: true; readonly body: T }
  | { readonly ok: false; readonly problem: Problem }

export async function request<T>(
  method: string,
  url: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  let response: Response
  try {
    response = await fetch(url, {
      method,
      headers: {
        accept: 'application/json',
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    })
  } catch {
    return { ok: false, problem: { status: 0, detail: 'offline' } }
  }
  const body = await response.json().catch(() => undefined)
  if (response.ok) return { ok: true, body: body as T }
  const retryAfter = Number(response.headers.get('retry-after'))
  return {
    ok: false,
    problem: {
      status: response.status,
      detail: body?.detail ?? body?.title ?? response.statusText,
      type: body?.type,
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
    },
  }
}

/** `GET /auth/session`, and what the screen keeps of a sign-in (`POST /auth/token` sets the cookie). */
export interface SessionView {
  readonly phoneNumber: string
  readonly expiresAt: string
}

export interface PlacedOrder {
  readonly id: number
  readonly productName: string
  readonly qty: number
  readonly amt: number
}

export interface QueueView {
  readonly waiting: number
  readonly inProgress: number
  readonly estimatedWaitSeconds: number
  readonly orders: ReadonlyArray<{
    readonly orderId: number
    readonly status: 'PaymentApproved' | 'Receipted'
    readonly position: number | null
    readonly estimatedWaitSeconds: number
  }>
}

export interface MyPageView {
  readonly orders: ReadonlyArray<{
    readonly orderId: number
    readonly productName: string | null
    readonly qty: number | null
    readonly amt: number | null
    readonly status: 'Ordered' | 'Receipted' | 'Made' | 'OrderCanceled' | 'PaymentCanceled'
    readonly cancelRequested: boolean
    readonly cancelRefused: boolean
  }>
  readonly notifications: ReadonlyArray<{
    readonly id: number
    readonly orderId: number
    readonly kind: string
    readonly message: string
    readonly status: string
    readonly createTime: string
  }>
}

export interface PointsView {
  readonly point: number
  readonly history: ReadonlyArray<{
    readonly orderId: number
    readonly productName: string
    readonly point: number
    readonly totalPoint: number
    readonly type: 'Order' | 'Cancel' | 'Restore'
    readonly createTime: string
  }>
}

/** A ticket as the drink service shows it; the board's recent ones say when they last changed. */
export type Ticket = Readonly<DrinkView> & { readonly statusTime?: string }

export interface BoardView {
  readonly queue: {
    readonly waiting: number
    readonly inProgress: number
    readonly estimatedWaitSeconds: number
  }
  readonly tickets: readonly Ticket[]
  readonly recent: readonly Ticket[]
}
