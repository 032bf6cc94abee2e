import type { Dialect } from '../db/database.ts'
import { type TransientDbReason, transientDbReason } from '../db/transient.ts'
import { UpstreamAnswered, UpstreamUnavailable } from '../http/client.ts'

/** `unavailable`: a dependency (a service called over HTTP, say) could not serve the call now. */
export type TransientReason = TransientDbReason | 'unavailable'

/**
 * A failure that passes by itself: something the event needs is away or busy, not the event
 * wrong. Handlers throw it (or let an `UpstreamUnavailable` through) to say so; the consumer then
 * retries the event for as long as it takes, with capped backoff, and never dead-letters it.
 */
export class TransientError extends Error {
  readonly reason: TransientReason
  constructor(message: string, options: { reason?: TransientReason; cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = 'TransientError'
    this.reason = options.reason ?? 'unavailable'
  }
}

/**
 * The failure as a TransientError when it, or an error it wraps, is transient: a TransientError,
 * an unavailable or 503-answering callee, or a database error its dialect's codes call transient
 * (see db/transient.ts). Undefined for everything else, which is poison: the same event would
 * fail the same way again.
 */
export function asTransient(error: unknown, dialect: Dialect): TransientError | undefined {
  for (const each of chain(error)) {
    if (each instanceof TransientError) {
      return each === error ? each : wrap(error, each.reason)
    }
    if (each instanceof UpstreamUnavailable) return wrap(error, 'unavailable')
    if (each instanceof UpstreamAnswered && each.response.status === 503) return wrap(error, 'unavailable')
    const reason = transientDbReason(each, dialect)
    if (reason) return wrap(error, reason)
  }
  return undefined
}

const wrap = (error: unknown, reason: TransientReason) =>
  new TransientError(`${reason}: ${describe(error)}`, { reason, cause: error })

const describe = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error)

/** The error and what it wraps (`cause`, an AggregateError's errors), breadth first, a few levels deep. */
function* chain(error: unknown): Generator<unknown> {
  let level: unknown[] = [error]
  for (let depth = 0; depth < 5 && level.length > 0; depth++) {
    const next: unknown[] = []
    for (const each of level) {
      yield each
      if (each instanceof AggregateError) next.push(...each.errors)
      if (each instanceof Error && each.cause !== undefined) next.push(each.cause)
    }
    level = next
  }
}
