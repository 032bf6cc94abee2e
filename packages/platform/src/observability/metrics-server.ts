import { createServer } from 'node:http'
import { limitConnections, type ServerLimits, serverOptions } from '../http/limits.ts'
import type { Logger } from '../logger.ts'
import type { ServiceMetrics } from './metrics.ts'

export interface MetricsServer {
  /** `http://127.0.0.1:<port>`: where a scraper on this host finds `/metrics`. */
  readonly url: string
  /** The address it is bound to. */
  readonly host: string
  close(): Promise<void>
}

/**
 * `GET /metrics` on a listener of its own, for an app whose own port is public (the gateway):
 * the figures are for the operators' scraper, not for anyone who can reach the API. Nothing else
 * is served there; the same limits as every other server apply.
 */
export async function startMetricsServer(options: {
  readonly host: string
  readonly port: number
  readonly metrics: ServiceMetrics
  readonly limits: ServerLimits
  readonly log: Logger
}): Promise<MetricsServer> {
  const { metrics, log } = options
  const server = createServer(serverOptions(options.limits), (request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('only /metrics here\n')
      return
    }
    metrics.scrape().then(
      (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (error: unknown) => {
        log.error({ err: error }, 'metrics scrape failed')
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('scrape failed\n')
      },
    )
  })
  limitConnections(server, options.limits, log)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  const bound =
    typeof address === 'object' && address ? address : { address: options.host, port: options.port }
  return {
    url: `http://127.0.0.1:${bound.port}`,
    host: bound.address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      }),
  }
}
