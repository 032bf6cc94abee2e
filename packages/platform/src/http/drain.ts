import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../logger.ts'
import { withTimeout } from '../timeout.ts'
import type { HttpApp } from './app.ts'

export interface DrainSettings {
  /**
   * How long the app keeps serving once it reports itself not ready, so that balancers (the
   * gateway's and order's readiness checks, a Kubernetes Service) stop sending before the
   * listener closes: a preStop sleep. `SHUTDOWN_DELAY_MS`.
   */
  readonly delayMs: number
  /** How long requests in flight may take to finish once the listener is closed. `SHUTDOWN_TIMEOUT_MS`. */
  readonly timeoutMs: number
}

/**
 * The HTTP half of a graceful shutdown: `/health/ready` answers 503 at once and every response
 * carries `Connection: close`; requests keep being served for `delayMs`; then the listener stops
 * taking connections and the requests in flight finish, for at most `timeoutMs`.
 */
export async function drainHttp(app: HttpApp, settings: DrainSettings, log: Logger): Promise<void> {
  app.markNotReady()
  if (settings.delayMs > 0) {
    log.info({ delayMs: settings.delayMs }, 'shutting down: not ready, still serving while balancers notice')
    await sleep(settings.delayMs)
  }
  await withTimeout(app.close(), settings.timeoutMs, () => log.warn('HTTP drain timed out'))
}
