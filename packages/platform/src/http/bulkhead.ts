/** Why a call was not let through: the queue was full, or no slot came free in time. */
export class BulkheadRejected extends Error {
  readonly why: 'full' | 'waited'
  constructor(why: 'full' | 'waited', detail: string) {
    super(detail)
    this.name = 'BulkheadRejected'
    this.why = why
  }
}

export interface BulkheadSettings {
  readonly maxConcurrent: number
  /** Calls waiting for a slot at most; one more is refused at once. */
  readonly queue: number
  /** How long a call may wait for a slot before it is refused. */
  readonly maxWaitMs: number
}

export interface Bulkhead {
  run<T>(work: () => Promise<T>): Promise<T>
}

interface Waiter {
  readonly start: () => void
  readonly timer: NodeJS.Timeout
}

/**
 * At most `maxConcurrent` calls in flight; the next ones wait their turn in order, but never
 * longer than `maxWaitMs`. The wait is bounded so a caller can tell how long a call may take at
 * worst (see `longestCallMs`): a call that cannot start in time fails rather than starting late.
 */
export function createBulkhead(settings: BulkheadSettings): Bulkhead {
  let active = 0
  // A Set keeps insertion order and drops a waiter that gave up without scanning the queue.
  const waiting = new Set<Waiter>()

  const turn = () =>
    new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: resolve,
        timer: setTimeout(() => {
          waiting.delete(waiter)
          reject(new BulkheadRejected('waited', `no free slot within ${settings.maxWaitMs} ms`))
        }, settings.maxWaitMs),
      }
      waiting.add(waiter)
    })

  /** A finished call hands its slot straight to the first waiter, so no newcomer jumps the queue. */
  const release = () => {
    const [next] = waiting
    if (!next) {
      active--
      return
    }
    waiting.delete(next)
    clearTimeout(next.timer)
    next.start()
  }

  return {
    async run(work) {
      if (active < settings.maxConcurrent) active++
      else if (waiting.size < settings.queue) await turn()
      else throw new BulkheadRejected('full', `${settings.queue} calls already wait for a free slot`)
      try {
        return await work()
      } finally {
        release()
      }
    },
  }
}
