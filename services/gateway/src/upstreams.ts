import { type BalancedRequest, type Balancer, createBalancer, type Logger } from '@cafeteria/platform'

/** One balancer per upstream service, shared by every route to it. */
export function upstreamBalancers<U extends string>(
  names: readonly U[],
  urls: Readonly<Record<U, readonly string[]>>,
  options: { log: Logger; timeoutMs: number; replicasFile: string | undefined },
): Record<U, Balancer> & { close(): Promise<void> } {
  const { log, timeoutMs, replicasFile } = options
  const balancers = {} as Record<U, Balancer>
  for (const name of names) {
    balancers[name] = createBalancer({
      name,
      urls: urls[name],
      log,
      ...(replicasFile && { replicasFile }),
      pool: { connections: 128, keepAliveTimeout: 30_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs },
    })
  }
  return Object.assign(balancers, {
    close: async () => {
      await Promise.all(names.map((name) => balancers[name].close()))
    },
  })
}

type Callback = (error: Error | null, response?: unknown) => void
const ignore = () => {}

/**
 * The balancer as @fastify/reply-from's dispatcher (it takes any object with undici's
 * `request(options, callback)`): every proxied request goes to a ready replica. A request that
 * never reached one is sent to the next; one that reached a replica whose connection then broke
 * is sent again only when repeating it is safe: a read, or a request carrying an
 * `Idempotency-Key` (the order service answers a repeat with the first outcome).
 */
export function proxyDispatcher(balancer: Balancer, timeoutMs: number) {
  return {
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    request(options: BalancedRequest, callback: Callback) {
      // The balancer picks the replica; reply-from's origin is the first configured one.
      options.origin = undefined
      const headers = options.headers as Record<string, unknown> | undefined
      const retryIfReached =
        options.method === 'GET' || options.method === 'HEAD' || headers?.['idempotency-key'] !== undefined
      balancer.request(options, retryIfReached).then(
        (response) => {
          // When the client has gone, reply-from destroys the upstream body unread, and undici
          // reports that as an 'error' event; unheard, it would end the gateway's process.
          response.body.on('error', ignore)
          callback(null, response)
        },
        (error: Error) => callback(error),
      )
    },
  }
}
