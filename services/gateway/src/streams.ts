import { type Balancer, CLIENT_ADDRESS_HEADER, type Logger, neverReached, problem } from '@cafeteria/platform'
import type { FastifyInstance } from 'fastify'
import { Pool } from 'undici'
import { tooManyRequests } from './clients.ts'
import type { Upstream } from './routes.ts'
import type { StreamCaps } from './stream-caps.ts'

/**
 * Server-Sent Event streams, passed through as they come: they outlive any request deadline and
 * would hold a connection of the proxy's pools for as long as a browser watches, so they get
 * pools of their own, without a body deadline, over the replicas the balancers find ready.
 */
export const streamRoutes: ReadonlyArray<{ readonly path: string; readonly upstream: Upstream }> = [
  { path: '/drinks/queue/stream', upstream: 'drink' },
  { path: '/drinks/board/stream', upstream: 'drink' },
  { path: '/mypages/stream', upstream: 'customercenter' },
  { path: '/points/stream', upstream: 'point' },
]

/** What a stream request carries upstream, and what of the answer comes back. */
const REQUEST_HEADERS = ['accept', 'authorization', 'cookie', 'last-event-id', 'user-agent'] as const
const RESPONSE_HEADERS = ['content-type', 'cache-control', 'www-authenticate', 'retry-after'] as const

export function registerStreams(
  app: FastifyInstance<any, any, any, any, any>,
  balancers: Readonly<Record<Upstream, Balancer>>,
  options: { timeoutMs: number; log: Logger; caps: StreamCaps },
): void {
  const pools = new Map<string, Pool>()
  const open = new Set<AbortController>()
  let turn = 0
  const poolOf = (url: string) => {
    let pool = pools.get(url)
    if (!pool) {
      pool = new Pool(url, { pipelining: 1, headersTimeout: options.timeoutMs, bodyTimeout: 0 })
      pools.set(url, pool)
    }
    return pool
  }
  // Ready replicas first, in turn; one not ready only when no ready one answers.
  const candidates = (balancer: Balancer) => {
    const all = balancer.replicas()
    const start = turn++ % Math.max(1, all.length)
    const rotated = [...all.slice(start), ...all.slice(0, start)]
    return [...rotated.filter((r) => r.ready), ...rotated.filter((r) => !r.ready)].map((r) => r.url)
  }

  app.addHook('preClose', async () => {
    for (const abort of open) abort.abort()
  })
  app.addHook('onClose', async () => {
    await Promise.all([...pools.values()].map((pool) => pool.close()))
  })

  for (const route of streamRoutes) {
    app.get(route.path, { schema: { hide: true } }, async (request, reply) => {
      // Before the services' own cap (503 for everyone once full): one client cannot fill it.
      const admitted = options.caps.admit(request)
      if ('refused' in admitted) return tooManyRequests(reply, 5, 'too-many-streams', admitted.refused)
      reply.raw.once('close', admitted.release)
      const headers: Record<string, string> = {
        'x-request-id': String(request.id),
        [CLIENT_ADDRESS_HEADER]: request.ip,
      }
      for (const name of REQUEST_HEADERS) {
        const value = request.headers[name]
        if (typeof value === 'string') headers[name] = value
      }
      const abort = new AbortController()
      reply.raw.once('close', () => {
        abort.abort()
        open.delete(abort)
      })
      open.add(abort)
      for (const url of candidates(balancers[route.upstream])) {
        try {
          const answer = await poolOf(url).request({
            method: 'GET',
            path: request.url,
            headers,
            signal: abort.signal,
          })
          reply.code(answer.statusCode)
          for (const name of RESPONSE_HEADERS) {
            const value = answer.headers[name]
            if (value !== undefined) reply.header(name, value)
          }
          // Nothing in between may hold events back to gather a bigger chunk.
          reply.header('x-accel-buffering', 'no')
          return reply.send(answer.body)
        } catch (error) {
          if (abort.signal.aborted) return reply
          if (!neverReached(error)) {
            options.log.warn({ upstream: route.upstream, err: error }, 'stream upstream failed')
            break
          }
        }
      }
      open.delete(abort)
      return reply
        .code(503)
        .header('retry-after', '1')
        .type('application/problem+json')
        .send(
          problem(503, 'upstream-unavailable', `The ${route.upstream} service is not available right now.`),
        )
    })
  }
}
