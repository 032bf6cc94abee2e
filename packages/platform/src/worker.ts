import type { Logger } from './logger.ts'

export interface Worker {
  /** There is work now (a commit just made some visible): run soon rather than at the next poll. */
  kick(): void
  /** Resolves when the current run, and any run it triggered, has finished. */
  idle(): Promise<void>
  stop(): Promise<void>
}

/**
 * A worker made but not running yet: a service makes its workers with its other collaborators
 * (its event handlers kick them) and the service runtime starts them once the service is up.
 */
export interface PendingWorker extends Worker {
  /** Starts the polls; a kick before this is dropped. */
  start(): Worker
}

export interface WorkerOptions {
  /** Does all the work there is; called again if kicked while running. */
  readonly drain: () => Promise<void>
  /** Safety net for work nobody kicked for (other replicas, a crashed process, retries that fell due). */
  readonly pollMs: number
  readonly log: Logger
  /** Names the worker in log lines. */
  readonly name: string
}

/**
 * A background loop of the kind the outbox relay and the notification dispatcher are: one run at
 * a time, a kick during a run asks for one more, a poll catches what nobody kicked for, and a
 * failing run is logged once per streak and retried at the next kick or poll.
 */
export function startWorker(options: WorkerOptions): Worker {
  return createWorker(options).start()
}

/** A worker as `startWorker` makes it, started later by `start()`. */
export function createWorker(options: WorkerOptions): PendingWorker {
  const { drain, log, name } = options
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let scheduled = false
  let again = false
  let stopped = false
  let failures = 0

  async function loop(): Promise<void> {
    do {
      again = false
      await drain()
    } while (again && !stopped)
  }

  /** Runs on the next turn of the event loop, so the kicks of every commit in this turn share one run. */
  function kick(): void {
    if (stopped || scheduled || !timer) return
    if (running) {
      again = true
      return
    }
    scheduled = true
    setImmediate(run)
  }

  function run(): void {
    scheduled = false
    if (stopped) return
    if (running) {
      again = true
      return
    }
    running = loop()
      .then(() => {
        failures = 0
      })
      .catch((error: unknown) => {
        if (++failures === 1) log.warn({ err: error, worker: name }, `${name} failed; will retry`)
      })
      .finally(() => {
        running = undefined
      })
  }

  const worker: PendingWorker = {
    start() {
      if (!timer && !stopped) {
        timer = setInterval(kick, options.pollMs)
        timer.unref()
      }
      return worker
    },
    kick,
    async idle() {
      while (running) await running
    },
    async stop() {
      stopped = true
      clearInterval(timer)
      while (running) await running
    },
  }
  return worker
}
