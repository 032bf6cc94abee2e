import { CLIENT_ADDRESS_HEADER, type HttpApp, problem } from '@cafeteria/platform'
import proxy from '@fastify/http-proxy'
import { openApiSource, registerDocs } from './docs.ts'
import type { GatewayContext, GatewayDeps } from './index.ts'
import { registerRateLimits } from './rate-limits.ts'
import { routes, type Upstream } from './routes.ts'
import { registerSecurityHeaders } from './security.ts'
import { registerSessionGate } from './sessions.ts'
import { upstreamNames } from './settings.ts'
import { registerStreams } from './streams.ts'
import { proxyDispatcher } from './upstreams.ts'
import { registerWebUi } from './web.ts'

/** The one public entry point: routes each public path to the service that owns it. */
export async function gatewayRoutes(app: HttpApp, ctx: GatewayContext, { balancers, caps }: GatewayDeps) {
  const { config, access, log } = ctx
  const { timeoutMs, urls } = config
  await registerSecurityHeaders(app, config.security)
  // Docs ask any ready replica.
  const upstreams = {} as Record<Upstream, string>
  for (const name of upstreamNames) {
    Object.defineProperty(upstreams, name, { get: () => balancers[name].pick() })
  }
  registerSessionGate(app, {
    access,
    recheckMs: config.sessionRecheckMs,
    log,
    ask: async (token) => {
      const answer = await fetch(`${balancers.customercenter.pick()}/auth/session`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(timeoutMs),
      })
      await answer.body?.cancel()
      if (answer.status === 200 || answer.status === 401) return answer.status === 200
      throw new Error(`customercenter answered ${answer.status} about a session`)
    },
  })
  await registerRateLimits(app, config.rateLimits, { access, log })
  for (const route of routes) {
    await app.register(proxy, {
      // Names the upstream for the proxy's URL handling; the dispatcher picks the replica.
      upstream: urls[route.upstream][0] as string,
      prefix: route.prefix,
      rewritePrefix: route.prefix,
      httpMethods: [...route.methods],
      disableRequestLogging: true,
      undici: proxyDispatcher(balancers[route.upstream], timeoutMs) as never,
      // Bodies parsed here (small JSON) rather than streamed through: a request that could not
      // reach one replica can then be sent to another.
      proxyPayloads: false,
      replyOptions: {
        // One request id in the gateway's access line and the service's.
        rewriteRequestHeaders: (request, headers) => {
          headers['x-request-id'] = request.id
          // The client's address, whatever the client said it was: failed checks count per address.
          headers[CLIENT_ADDRESS_HEADER] = request.ip
          // The service's span continues the gateway's trace.
          request.traceSpan?.inject(headers)
          return headers
        },
        onError: (reply, { error }) => {
          reply.log.warn({ upstream: route.upstream, err: error }, 'upstream unavailable')
          reply
            .code(503)
            .header('retry-after', '1')
            .type('application/problem+json')
            .send(
              problem(
                503,
                'upstream-unavailable',
                `The ${route.upstream} service is not available right now.`,
              ),
            )
        },
      },
    })
  }
  registerStreams(app, balancers, { timeoutMs, log, caps })
  await registerWebUi(app, { ...config.web, open: access.open, log })
  // Docs must not hang on a slow service: a short deadline, and that service is left out.
  await registerDocs(app, openApiSource({ routes, upstreams, timeoutMs: Math.min(timeoutMs, 2000), log }))
}
