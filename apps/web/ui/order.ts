/** What the order screen computes and checks before anything is sent. */

import type { MenuItem, Menu as ServedMenu } from '@cafeteria/contracts'

export type { MenuItem }

/** `GET /menu`: the order service's menu, and whether customers sign in. */
export interface Menu extends ServedMenu {
  /** False in open mode (`OPEN_API`): no sign-in; phone numbers are typed in, as in the original. */
  readonly signIn: boolean
}

/**
 * The service's limits (see the order API): the form says so before the server has to. The menu
 * names the quantity's; this is its most, until the menu has come.
 */
export const MAX_QTY = 1000
export const MAX_AMOUNT = 100_000_000

/** A Korean mobile number as the services accept it; hyphens allowed. */
export const isPhoneNumber = (raw: string): boolean => /^01[016789](-?\d{3,4})-?\d{4}$/.test(raw.trim())
export const normalizePhone = (raw: string): string => raw.trim().replaceAll('-', '')

/**
 * Whom the order screen and My Page act for: the signed-in customer (the session says who), or in
 * open mode whoever's phone number is typed in, remembered on this device.
 */
export type Who =
  | { readonly kind: 'session'; readonly phoneNumber: string }
  | { readonly kind: 'typed'; readonly phone: string; readonly remember: (phone: string) => void }

export type FormProblem = 'product' | 'qty' | 'phone' | 'amount'

export interface OrderDraft {
  readonly item: MenuItem | undefined
  readonly qty: number
  /** As typed, in open mode; undefined when signed in: the order is the session's. */
  readonly phone: string | undefined
}

export const totalOf = (draft: OrderDraft): number => (draft.item ? draft.item.price * draft.qty : 0)

/** Every problem with the form, in the order the fields appear. */
export function problemsOf(draft: OrderDraft, maxQty = MAX_QTY): FormProblem[] {
  const problems: FormProblem[] = []
  if (!draft.item?.available) problems.push('product')
  if (!Number.isInteger(draft.qty) || draft.qty < 1 || draft.qty > maxQty) problems.push('qty')
  else if (totalOf(draft) > MAX_AMOUNT) problems.push('amount')
  if (draft.phone !== undefined && !isPhoneNumber(draft.phone)) problems.push('phone')
  return problems
}

/**
 * A fresh Idempotency-Key for one intended order. Made from getRandomValues, which (unlike
 * randomUUID) also works on a page served over plain http to a counter tablet on the LAN.
 */
export function newIdempotencyKey(random: (bytes: Uint8Array<ArrayBuffer>) => unknown): string {
  const bytes = new Uint8Array(16)
  random(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** 310 seconds → 6 minutes, rounded up: an estimate that never promises too little. */
export const minutesOf = (seconds: number): number => Math.max(1, Math.ceil(seconds / 60))
