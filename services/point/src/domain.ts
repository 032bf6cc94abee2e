import { pointsFor } from '@cafeteria/contracts'
import { decider, type Emitted, emits, type Rejected, rejected } from '@cafeteria/platform/decider'

/**
 * Points are a ledger per phone number. Each order has at most one entry of each kind: `Order`
 * (the accrual), `Cancel` (the deduction) and `Restore` (its compensation when the cancel failed).
 * The balance is kept beside the ledger and changed by the amount each decision says.
 */
export type EntryKind = 'Order' | 'Cancel' | 'Restore'

export interface PointEntry {
  readonly id: number
  readonly phoneNumber: string
  readonly orderId: number
  readonly paymentId: number
  readonly productName: string
  readonly qty: number
  readonly amt: number
  /** Signed: + for Order and Restore, − for Cancel. */
  readonly point: number
  /** The phone's balance right after this entry. */
  readonly totalPoint: number
  readonly kind: EntryKind
  readonly createTime: Date
}

export type EntryDraft = Omit<PointEntry, 'id' | 'totalPoint' | 'createTime'>
/** An entry as decided: the store adds its id and time. */
export type DecidedEntry = Omit<PointEntry, 'id' | 'createTime'>

/** One order's entries: what every decision about that order is made from. */
export interface OrderLedger {
  readonly Order?: DecidedEntry
  readonly Cancel?: DecidedEntry
  readonly Restore?: DecidedEntry
}

export const ledgerOf = (entries: readonly DecidedEntry[]): OrderLedger =>
  Object.fromEntries(entries.map((e) => [e.kind, e]))

interface OrderTerms {
  readonly orderId: number
  readonly phoneNumber: string
  readonly paymentId: number
  readonly productName: string
  readonly qty: number
  readonly amt: number
}
export interface AccruePoints extends OrderTerms {
  readonly type: 'AccruePoints'
}
export interface DeductPoints extends OrderTerms {
  readonly type: 'DeductPoints'
}
export interface RestorePoints {
  readonly type: 'RestorePoints'
  readonly orderId: number
  readonly phoneNumber: string
}
export type PointCommand = AccruePoints | DeductPoints | RestorePoints

export type PointDecision =
  /**
   * Record `entry` and change the balance by `balanceChange`; a negative change applies only if
   * the balance covers it. `announce` is false when the balance did not move because the entry
   * nets out an earlier one (an accrual arriving after its order's cancel).
   */
  | {
      readonly kind: 'record'
      readonly entry: EntryDraft
      readonly balanceChange: number
      readonly announce: boolean
    }
  /** The command was already applied (a retry or redelivery): nothing changes. */
  | { readonly kind: 'already-done'; readonly entry: DecidedEntry }
  /** Nothing to do, e.g. restoring an order whose points were never deducted. */
  | { readonly kind: 'nothing' }
  | { readonly kind: 'conflict'; readonly reason: string }

const sameTerms = (entry: DecidedEntry, command: OrderTerms) =>
  entry.phoneNumber === command.phoneNumber && entry.amt === command.amt

const draft = (terms: OrderTerms, kind: EntryKind, point: number): EntryDraft => ({
  phoneNumber: terms.phoneNumber,
  orderId: terms.orderId,
  paymentId: terms.paymentId,
  productName: terms.productName,
  qty: terms.qty,
  amt: terms.amt,
  point,
  kind,
})

/** The entry a command adds to its order's ledger, if any: what the decider decides from. */
export function decideEntry(command: PointCommand, ledger: OrderLedger): PointDecision {
  switch (command.type) {
    case 'AccruePoints':
      return decideAccrue(command, ledger)
    case 'DeductPoints':
      return decideDeduct(command, ledger)
    case 'RestorePoints':
      return decideRestore(command, ledger)
    default: {
      const _exhaustive: never = command
      throw new Error(`unknown command ${JSON.stringify(_exhaustive)}`)
    }
  }
}

function decideAccrue(command: AccruePoints, { Order, Cancel }: OrderLedger): PointDecision {
  if (Order) return { kind: 'already-done', entry: Order }
  const points = pointsFor(command.amt)
  if (Cancel && !sameTerms(Cancel, command)) {
    return { kind: 'conflict', reason: `order ${command.orderId} was cancelled with other terms` }
  }
  // The cancel came first and left the balance alone, so this accrual must not add either.
  if (Cancel)
    return { kind: 'record', entry: draft(command, 'Order', points), balanceChange: 0, announce: false }
  return { kind: 'record', entry: draft(command, 'Order', points), balanceChange: points, announce: true }
}

function decideDeduct(command: DeductPoints, { Order, Cancel }: OrderLedger): PointDecision {
  if (Cancel) {
    return sameTerms(Cancel, command)
      ? { kind: 'already-done', entry: Cancel }
      : { kind: 'conflict', reason: `order ${command.orderId} was already cancelled with other terms` }
  }
  if (Order && !sameTerms(Order, command)) {
    return { kind: 'conflict', reason: `order ${command.orderId} earned its points with other terms` }
  }
  const points = pointsFor(command.amt)
  // Without the accrual (its event is still in flight) there is nothing to take back yet; the
  // accrual will see this entry and not add.
  return {
    kind: 'record',
    entry: draft(command, 'Cancel', -points),
    balanceChange: Order ? -points : 0,
    announce: true,
  }
}

function decideRestore(command: RestorePoints, { Cancel, Restore }: OrderLedger): PointDecision {
  if (Restore) return { kind: 'already-done', entry: Restore }
  if (!Cancel) return { kind: 'nothing' }
  if (Cancel.phoneNumber !== command.phoneNumber) {
    return { kind: 'conflict', reason: `order ${command.orderId} was cancelled for another phone number` }
  }
  // Always given back, even when the cancel left the balance alone: the late accrual then nets
  // out against the cancel, so the order keeps exactly its points either way.
  const points = -Cancel.point
  return { kind: 'record', entry: draft(Cancel, 'Restore', points), balanceChange: points, announce: true }
}

/** What the point service emits: all its deciders may return, and the flows table's producers. */
export const pointEmits = emits('PointsAccrued', 'PointsDeducted', 'PointsRestored')
type PointEmitted = Emitted<typeof pointEmits>

const eventType = { Order: 'PointsAccrued', Cancel: 'PointsDeducted', Restore: 'PointsRestored' } as const

/** What a recorded entry announces: how many points moved and the balance after. */
export const recordedEvents = (entry: DecidedEntry): PointEmitted[] => [
  {
    type: eventType[entry.kind],
    orderId: entry.orderId,
    data: { phoneNumber: entry.phoneNumber, point: Math.abs(entry.point), totalPoint: entry.totalPoint },
  },
]

/** The order's ledger and the phone's balance, read under the phone's lock (see store.ts). */
export interface PointState {
  readonly ledger: OrderLedger
  readonly balance: number
}

export type PointRefusal =
  | { readonly kind: 'conflict'; readonly reason: string }
  /** A deduction the balance does not cover. */
  | { readonly kind: 'not-enough' }

/**
 * What a decision records: one entry, announced by its contract event, or kept quiet when it
 * nets out an earlier entry and the balance did not move (an accrual after its order's cancel).
 */
export type PointEvent =
  | (Extract<PointEmitted, { type: (typeof eventType)[EntryKind] }> & { readonly entry: DecidedEntry })
  | { readonly type: 'EntryNettedOut'; readonly orderId: number; readonly entry: DecidedEntry }

export const pointDecider = decider(pointEmits, {
  initialState: (): PointState => ({ ledger: {}, balance: 0 }),
  decide,
  evolve,
})

function decide(
  command: PointCommand,
  { ledger, balance }: PointState,
): readonly PointEvent[] | Rejected<PointRefusal> {
  const decision = decideEntry(command, ledger)
  switch (decision.kind) {
    case 'already-done':
    case 'nothing':
      return []
    case 'conflict':
      return rejected(decision)
    case 'record': {
      const totalPoint = balance + decision.balanceChange
      if (totalPoint < 0) return rejected({ kind: 'not-enough' })
      const entry = { ...decision.entry, totalPoint }
      if (!decision.announce) return [{ type: 'EntryNettedOut', orderId: entry.orderId, entry }]
      return recordedEvents(entry).map((event) => ({ ...event, entry }) as PointEvent)
    }
    default: {
      const _exhaustive: never = decision
      throw new Error(`unknown decision ${JSON.stringify(_exhaustive)}`)
    }
  }
}

function evolve({ ledger }: PointState, { entry }: PointEvent): PointState {
  return { ledger: { ...ledger, [entry.kind]: entry }, balance: entry.totalPoint }
}
