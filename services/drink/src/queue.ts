/**
 * The wait a customer can expect, from the queue as it is and how long the barista has recently
 * taken from accepting a ticket (Receipted) to finishing it (Made). The model is one barista
 * making one ticket at a time: every waiting ticket ahead takes a typical make time, and a ticket
 * being made is, on average, half done.
 */

/** Before any ticket was made (a new shop, a new day's database): a typical espresso drink. */
export const DEFAULT_MAKE_SECONDS = 120
/** How many of the latest tickets the typical make time is taken from. */
export const RECENT_TICKETS = 20

export interface QueueState {
  /** Tickets paid for and waiting for the barista. */
  readonly waiting: number
  /** Tickets the barista has accepted and not finished. */
  readonly inProgress: number
  /** The typical time from Receipted to Made, in seconds. */
  readonly makeSeconds: number
}

export interface QueueEstimate extends QueueState {
  /** How long a drink ordered now would take to be made. */
  readonly estimatedWaitSeconds: number
}

/**
 * The median of the recent make times: one ticket forgotten for an hour must not double
 * everyone's estimate. Durations that cannot be (negative, none at all) are left out.
 */
export function typicalMakeSeconds(recent: readonly number[], fallback = DEFAULT_MAKE_SECONDS): number {
  const valid = recent.filter((s) => Number.isFinite(s) && s > 0).sort((a, b) => a - b)
  if (valid.length === 0) return fallback
  const middle = Math.floor(valid.length / 2)
  const median =
    valid.length % 2 === 1
      ? (valid[middle] as number)
      : ((valid[middle - 1] as number) + (valid[middle] as number)) / 2
  return Math.max(1, Math.round(median))
}

/** The wait of the ticket with `waitingAhead` waiting tickets before it. */
export const waitBehind = (queue: QueueState, waitingAhead: number): number =>
  Math.round((waitingAhead + 1 + queue.inProgress / 2) * queue.makeSeconds)

/** What a customer sees before paying: the queue and the wait of an order placed now. */
export const estimate = (queue: QueueState): QueueEstimate => ({
  ...queue,
  estimatedWaitSeconds: waitBehind(queue, queue.waiting),
})

export type Place =
  | { readonly status: 'PaymentApproved'; readonly position: number; readonly estimatedWaitSeconds: number }
  | { readonly status: 'Receipted'; readonly position: null; readonly estimatedWaitSeconds: number }

/**
 * Where a customer's ticket is: a waiting one by its place in line (1 = next), with the wait that
 * implies; one being made, about half a make time.
 */
export function placeOf(
  queue: QueueState,
  ticket: { status: 'PaymentApproved'; waitingAhead: number } | { status: 'Receipted' },
): Place {
  if (ticket.status === 'Receipted') {
    return { status: 'Receipted', position: null, estimatedWaitSeconds: Math.round(queue.makeSeconds / 2) }
  }
  return {
    status: 'PaymentApproved',
    position: ticket.waitingAhead + 1,
    estimatedWaitSeconds: waitBehind(queue, ticket.waitingAhead),
  }
}
