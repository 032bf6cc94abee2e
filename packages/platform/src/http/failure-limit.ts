import { HttpProblem } from './problem.ts'

export interface FailureLimit {
  /**
   * Throws a 429 problem, with `Retry-After`, while `key` has used up its failures: whatever the
   * request carries, even a right secret, so that a guesser learns nothing more until it may try
   * again.
   */
  check(key: string): void
  /** Counts a failure of `key`; true when this one used up the last (worth a log line). */
  failed(key: string): boolean
}

/**
 * Failures (wrong tokens) counted per key, a client's address, in a window that starts at its
 * first failure; `max` of them within the window, then 429 until it ends. `max` 0 counts nothing.
 * Kept in memory, per process: each replica counts on its own (two replicas let twice as many
 * through) and a restart forgets, which bounds guessing just as well at this rate.
 */
export function failureLimit(options: {
  readonly max: number
  readonly windowMs: number
  /** The 429's problem type and detail. */
  readonly type: string
  readonly detail: string
  readonly now?: () => number
  /** Keys remembered at most: past it the oldest window is forgotten first. */
  readonly maxKeys?: number
}): FailureLimit {
  const { max, windowMs, type, detail, now = Date.now, maxKeys = 10_000 } = options
  const windows = new Map<string, { failures: number; endsAt: number }>()
  const current = (key: string) => {
    const window = windows.get(key)
    if (window && window.endsAt <= now()) {
      windows.delete(key)
      return undefined
    }
    return window
  }
  // Many addresses must not grow the map without end: expired windows go, then the oldest.
  const makeRoom = () => {
    if (windows.size < maxKeys) return
    const at = now()
    for (const [key, window] of windows) if (window.endsAt <= at) windows.delete(key)
    for (const key of windows.keys()) {
      if (windows.size < maxKeys) break
      windows.delete(key)
    }
  }
  return {
    check(key) {
      const window = max > 0 ? current(key) : undefined
      if (!window || window.failures < max) return
      const seconds = Math.max(1, Math.ceil((window.endsAt - now()) / 1000))
      throw new HttpProblem(429, type, detail, {
        headers: { 'retry-after': String(seconds) },
        extra: { retryAfterSeconds: seconds },
      })
    },
    failed(key) {
      if (max === 0) return false
      let window = current(key)
      if (!window) {
        makeRoom()
        window = { failures: 0, endsAt: now() + windowMs }
        windows.set(key, window)
      }
      window.failures++
      return window.failures === max
    },
  }
}
