import {
  BrokenCircuitError,
  CircuitState,
  circuitBreaker,
  ExponentialBackoff,
  handleAll,
  handleWhen,
  type IBackoffFactory,
  type IRetryBackoffContext,
  IsolatedCircuitError,
  retry,
  SamplingBreaker,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
} from 'cockatiel'
import type { ConfigReader } from '../config.ts'
import type { Logger } from '../logger.ts'
import { BulkheadRejected, createBulkhead } from './bulkhead.ts'
import { type CallPolicy, UpstreamUnavailable } from './client.ts'

export interface CallPolicySettings {
  /** Deadline of one attempt. */
  readonly timeoutMs: number
  /** Deadline of the whole call, retries and their backoff included. */
  readonly budgetMs: number
  /** Extra attempts after a failure, made only for calls the caller marks idempotent. */
  readonly retries: number
  /** The breaker judges only once at least this many calls were made within the window. */
  readonly minimumCalls: number
  readonly windowMs: number
  /** The breaker opens when at least this share of the window's calls failed. */
  readonly failureRatio: number
  /** How long an open breaker refuses calls before it lets one through to probe. */
  readonly halfOpenAfterMs: number
  /**
   * Calls in flight at most; the next ones wait their turn (before their budget starts) and past
   * `queue` of them a call fails at once as `busy`. An overloaded callee then answers the calls it
   * has in time instead of timing out on all of them and opening the breaker on the caller's
   * own load.
   */
  readonly maxConcurrent: number
  readonly queue: number
  /**
   * How long a call may wait for its turn; past it the call fails as `busy` without being sent.
   * Bounded so that no call lasts longer than `longestCallMs`, which callers rely on.
   */
  readonly queueWaitMs: number
}

/** The original's Hystrix settings: 610 ms, judged after 20 calls in 10 s, open at 30%, 5 s. */
export const ORIGINAL_CALL_POLICY: CallPolicySettings = {
  timeoutMs: 610,
  budgetMs: 1500,
  retries: 1,
  minimumCalls: 20,
  windowMs: 10_000,
  failureRatio: 0.3,
  halfOpenAfterMs: 5000,
  maxConcurrent: 32,
  queue: 1000,
  // With the 1.5 s budget, an answer within the gateway's 5 s upstream deadline.
  queueWaitMs: 3000,
}

/**
 * The longest a call can take, from the moment it is made to its answer or failure: the wait
 * for its turn, then its attempts and their backoff, which the budget caps (an attempt alone is
 * capped by its own deadline).
 */
export const longestCallMs = (settings: CallPolicySettings): number =>
  settings.queueWaitMs +
  (settings.retries === 0 ? Math.min(settings.timeoutMs, settings.budgetMs) : settings.budgetMs)

/**
 * Reads `<PREFIX>_TIMEOUT_MS`, `_BUDGET_MS`, `_RETRIES`, `_BREAKER_*`, `_MAX_CONCURRENT`, `_QUEUE`
 * and `_QUEUE_WAIT_MS` for one upstream.
 */
export function callPolicySettings(
  read: ConfigReader,
  prefix: string,
  defaults: CallPolicySettings = ORIGINAL_CALL_POLICY,
): CallPolicySettings {
  return {
    timeoutMs: read.int(`${prefix}_TIMEOUT_MS`, defaults.timeoutMs, { min: 1 }),
    budgetMs: read.int(`${prefix}_BUDGET_MS`, defaults.budgetMs, { min: 1 }),
    retries: read.int(`${prefix}_RETRIES`, defaults.retries, { max: 10 }),
    minimumCalls: read.int(`${prefix}_BREAKER_MIN_CALLS`, defaults.minimumCalls, { min: 1 }),
    windowMs: read.int(`${prefix}_BREAKER_WINDOW_MS`, defaults.windowMs, { min: 100 }),
    failureRatio: read.ratio(`${prefix}_BREAKER_FAILURE_RATIO`, defaults.failureRatio),
    halfOpenAfterMs: read.int(`${prefix}_BREAKER_HALF_OPEN_MS`, defaults.halfOpenAfterMs, { min: 1 }),
    maxConcurrent: read.int(`${prefix}_MAX_CONCURRENT`, defaults.maxConcurrent, { min: 1, max: 10_000 }),
    queue: read.int(`${prefix}_QUEUE`, defaults.queue, { max: 100_000 }),
    queueWaitMs: read.int(`${prefix}_QUEUE_WAIT_MS`, defaults.queueWaitMs, { min: 1, max: 600_000 }),
  }
}

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated'

export interface CallPolicyState {
  readonly state: BreakerState
  /** Attempts the breaker let through, and how many of them failed (errors, timeouts, 5xx). */
  readonly calls: number
  readonly failures: number
  /** Calls refused at once because the breaker was open. */
  readonly rejected: number
  readonly opened: number
  readonly lastOpenedAt: string | null
  readonly lastFailure: string | null
}

export interface ResilientCallPolicy extends CallPolicy {
  state(): CallPolicyState
  /**
   * True while the breaker is open and its half-open delay has not passed: a call now would be
   * refused. After the delay it is false again, so the next call becomes the probe.
   */
  refusesNow(): boolean
}

const STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
}

// Less time than this left in the budget is not worth another connection and request.
const MINIMUM_ATTEMPT_MS = 50

const refused = (error: unknown) =>
  error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError

const describe = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error)

/** Backoff whose delays never eat the time a further attempt needs. */
const withinBudget = (
  backoff: IBackoffFactory<IRetryBackoffContext<unknown>>,
  spareMs: () => number,
): IBackoffFactory<IRetryBackoffContext<unknown>> => ({
  next(context) {
    const step = backoff.next(context)
    return {
      duration: Math.max(0, Math.min(step.duration, spareMs())),
      next: (later) => withinBudget(step, spareMs).next(later),
    }
  },
})

/**
 * Timeout + circuit breaker + retries for one upstream, shared by every call to it. Each attempt
 * has its own deadline, never longer than what is left of the call's budget; the breaker sees
 * every attempt, and while it is open calls fail at once with `UpstreamUnavailable` (`open`)
 * without touching the network. Retries, with jittered backoff, only when the caller says the
 * callee is idempotent for that call, and only while the budget leaves room for one.
 */
export function createCallPolicy(
  options: CallPolicySettings & { readonly name: string; readonly log: Logger },
): ResilientCallPolicy {
  const { name, log } = options
  const breaker = circuitBreaker(handleAll, {
    halfOpenAfter: options.halfOpenAfterMs,
    breaker: new SamplingBreaker({
      // cockatiel opens above the ratio; the original (Hystrix) opens at it.
      threshold: options.failureRatio * (1 - 1e-9),
      duration: options.windowMs,
      // cockatiel knows a minimum rate, not a count: calls < rate × window keeps it closed; half
      // a call's margin keeps floating-point rounding from demanding one call more.
      minimumRps: (options.minimumCalls - 0.5) / (options.windowMs / 1000),
    }),
  })

  const counts = { calls: 0, failures: 0, rejected: 0, opened: 0 }
  let lastOpenedAt: Date | undefined
  let lastFailure: string | undefined
  breaker.onStateChange((state) => {
    if (state === CircuitState.Open) {
      counts.opened++
      lastOpenedAt = new Date()
    }
    const context = { upstream: name, breaker: STATES[state], ...counts }
    if (state === CircuitState.Open) {
      log.warn(
        { ...context, lastFailure, halfOpenAfterMs: options.halfOpenAfterMs },
        `circuit breaker for ${name} opened: calls fail at once`,
      )
    } else if (state === CircuitState.Isolated) {
      log.warn(context, `circuit breaker for ${name} held open`)
    } else {
      log.info(context, `circuit breaker for ${name} ${STATES[state]}`)
    }
  })

  const attempt = <T>(call: (signal: AbortSignal) => Promise<T>, leftMs: () => number) =>
    breaker
      .execute(async () => {
        counts.calls++
        try {
          const ms = Math.max(1, Math.min(options.timeoutMs, leftMs()))
          // Not aborted on return: the call is over by then, and each abort builds a DOMException
          // with its stack, 2% of an order's CPU on the calling thread.
          return await timeout(ms, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false }).execute(
            (_context, signal) => call(signal),
          )
        } catch (error) {
          counts.failures++
          lastFailure = describe(error)
          throw error
        }
      })
      .catch((error: unknown) => {
        if (refused(error)) counts.rejected++
        throw error
      })

  /** `tried`: an attempt was made, so the request may have reached the callee. */
  const unavailable = (error: unknown, tried: boolean) => {
    if (refused(error))
      return new UpstreamUnavailable(name, 'open', `circuit open (last failure: ${lastFailure})`, {
        cause: error,
        maybeSent: tried,
      })
    if (error instanceof TaskCancelledError)
      return new UpstreamUnavailable(name, 'timeout', error.message, { cause: error })
    return error
  }

  /** One call: its budget starts when it leaves the queue; each attempt within what is left. */
  async function callNow<T>(call: (signal: AbortSignal) => Promise<T>, idempotent: boolean): Promise<T> {
    const deadline = performance.now() + options.budgetMs
    const leftMs = () => deadline - performance.now()
    let tried = false
    const once = () =>
      attempt((signal) => {
        tried = true
        return call(signal)
      }, leftMs)
    try {
      if (!idempotent || options.retries === 0) return await once()
      const retries = retry(
        handleWhen((error) => !refused(error) && leftMs() >= MINIMUM_ATTEMPT_MS),
        {
          maxAttempts: options.retries,
          backoff: withinBudget(
            new ExponentialBackoff({ initialDelay: 100, maxDelay: options.budgetMs }),
            () => leftMs() - MINIMUM_ATTEMPT_MS,
          ),
        },
      )
      return await retries.execute(once)
    } catch (error) {
      throw unavailable(error, tried)
    }
  }

  const turns = createBulkhead({
    maxConcurrent: options.maxConcurrent,
    queue: options.queue,
    maxWaitMs: options.queueWaitMs,
  })

  return {
    async execute(call, { idempotent = false } = {}) {
      try {
        return await turns.run(() => callNow(call, idempotent))
      } catch (error) {
        if (!(error instanceof BulkheadRejected)) throw error
        throw new UpstreamUnavailable(name, 'busy', error.message, { cause: error, maybeSent: false })
      }
    },
    refusesNow: () =>
      breaker.state === CircuitState.Open &&
      lastOpenedAt !== undefined &&
      Date.now() - lastOpenedAt.getTime() < options.halfOpenAfterMs,
    state: () => ({
      state: STATES[breaker.state],
      ...counts,
      lastOpenedAt: lastOpenedAt?.toISOString() ?? null,
      lastFailure: lastFailure ?? null,
    }),
  }
}
