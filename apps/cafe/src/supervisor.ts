import { type ChildProcess, spawn } from 'node:child_process'
import type { Logger } from '@cafeteria/platform'

export interface Backoff {
  /** Delay before the first restart; each further one doubles it… */
  readonly initialMs: number
  /** …up to this. */
  readonly maxMs: number
  /** A process that ran this long without exiting starts the count again. */
  readonly resetAfterMs: number
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 }

/** The delay before restart number `attempt` (1, 2, …). */
export const backoffDelay = (backoff: Backoff, attempt: number) =>
  Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt - 1, 30))

export interface SuperviseOptions {
  readonly service: string
  /** The replica's slot, for logs. */
  readonly replica: number
  readonly command: string
  readonly args: readonly string[]
  readonly env: NodeJS.ProcessEnv
  /** Where the process serves; `<url>/health/ready` says when it is ready. */
  readonly url: string
  readonly log: Logger
  readonly backoff?: Backoff
  /** `inherit` (the runner's terminal) or `ignore`. */
  readonly stdio?: 'inherit' | 'ignore'
}

export interface Supervised {
  readonly url: string
  readonly pid: number | undefined
  /**
   * Resolves when the first process answers its readiness check; rejects if it exits first or is
   * not ready within `timeoutMs` (a process that never came up is not restarted: it would fail
   * again the same way).
   */
  ready(timeoutMs?: number): Promise<void>
  /** A planned stop: SIGTERM, SIGKILL after `graceMs`; not restarted. */
  stop(graceMs: number): Promise<void>
}

/**
 * Runs one replica's process and restarts it whenever it exits unless asked to stop: after an
 * exponentially growing delay, capped, the count starting again once a process has run for a
 * while. Each exit is logged with the service, pid, exit code or signal, attempt and delay.
 */
export function supervise(options: SuperviseOptions): Supervised {
  const { service, replica, log } = options
  const backoff = options.backoff ?? DEFAULT_BACKOFF
  let child: ChildProcess | undefined
  let startedAt = 0
  let attempt = 0
  let stopping = false
  let cameUp = false
  let restartTimer: NodeJS.Timeout | undefined
  let exited = Promise.resolve()

  const launch = () => {
    const current = spawn(options.command, options.args, {
      env: options.env,
      // The IPC channel closes when this process ends however it ends, even by SIGKILL: the
      // child hears 'disconnect' and stops instead of serving on unsupervised (see commands.ts).
      stdio: ['ignore', options.stdio ?? 'inherit', options.stdio ?? 'inherit', 'ipc'],
      // Its own process group: Ctrl-C in the runner's terminal reaches the runner alone, which
      // then stops every process in order, instead of each one at once (and restarting them).
      detached: true,
    })
    child = current
    startedAt = performance.now()
    exited = new Promise<void>((resolve) => {
      current.once('exit', (code, signal) => {
        resolve()
        if (stopping || !cameUp) return
        const ranMs = Math.round(performance.now() - startedAt)
        attempt = ranMs >= backoff.resetAfterMs ? 1 : attempt + 1
        const delayMs = backoffDelay(backoff, attempt)
        log.warn(
          { service, replica, pid: current.pid, code, signal, ranMs, attempt, delayMs },
          'service process exited unexpectedly; restarting',
        )
        restartTimer = setTimeout(() => {
          restartTimer = undefined
          if (stopping) return
          launch()
          log.info({ service, replica, pid: child?.pid, attempt }, 'service process restarted')
        }, delayMs)
      })
    })
  }
  launch()

  return {
    url: options.url,
    get pid() {
      return child?.pid
    },
    async ready(timeoutMs = 60_000) {
      const deadline = performance.now() + timeoutMs
      const current = child as ChildProcess
      for (;;) {
        if (current.exitCode !== null || current.signalCode !== null)
          throw new Error(`${service} exited with ${current.exitCode ?? current.signalCode} during start-up`)
        const ok = await fetch(`${options.url}/health/ready`, { signal: AbortSignal.timeout(2000) })
          .then((r) => r.ok)
          .catch(() => false)
        if (ok) {
          cameUp = true
          return
        }
        if (performance.now() > deadline)
          throw new Error(`${service} was not ready at ${options.url} within ${timeoutMs} ms`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
    async stop(graceMs) {
      stopping = true
      clearTimeout(restartTimer)
      const current = child
      if (!current || current.exitCode !== null || current.signalCode !== null) return
      current.kill('SIGTERM')
      const timer = setTimeout(() => current.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}
