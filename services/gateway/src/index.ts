import { readMenu } from '@cafeteria/contracts'
import {
  accessSettings,
  boundAddress,
  CLIENT_ADDRESS_HEADER,
  configReader,
  createHttpApp,
  createServiceMetrics,
  drainHttp,
  type Env,
  type Logger,
  logFileSettings,
  type MetricsServer,
  OPEN_MODE_WARNING,
  problem,
  type RunningService,
  serverLimits,
  serviceLogger,
  startMetricsServer,
  startTracing,
  tracingSettings,
  trustProxySetting,
} from '@cafeteria/platform'
import { webRoot } from '@cafeteria/web'
import proxy from '@fastify/http-proxy'
import { openApiSource, registerDocs } from './docs.ts'
import { rateLimitSettings, registerRateLimits } from './rate-limits.ts'
import { routes, type Upstream, upstreamDefaults } from './routes.ts'
import { registerSecurityHeaders, securitySettings } from './security.ts'
import { registerSessionGate } from './sessions.ts'
import { streamCapSettings, streamCaps } from './stream-caps.ts'
import { registerStreams } from './streams.ts'
import { proxyDispatcher, upstreamBalancers } from './upstreams.ts'
import { registerWebUi } from './web.ts'

export interface GatewayOptions {
  readonly env: Env
  readonly logger: Logger
  readonly defaults?: { port: number; shutdownDelayMs?: number }
}

/** The one public entry point: routes each public path to the service that owns it. */
export async function startGateway(options: GatewayOptions): Promise<RunningService> {
  const read = configReader(options.env)
  // The one public listener: all interfaces unless HOST says (services use SERVICE_HOST).
  const host = read.string('HOST', '0.0.0.0')
  const port = read.int('GATEWAY_PORT', options.defaults?.port ?? 8080, { max: 65535 })
  const timeoutMs = read.int('GATEWAY_UPSTREAM_TIMEOUT_MS', 5000, { min: 1 })
  const names = Object.keys(upstreamDefaults) as Upstream[]
  // `ORDER_URL=http://a:8081,http://b:8081`: a service's replicas, balanced.
  const urls = Object.fromEntries(
    names.map((name) => [name, read.urls(`${name.toUpperCase()}_URL`, upstreamDefaults[name])]),
  ) as Record<Upstream, string[]>
  const replicasFile = read.optional('REPLICAS_FILE')
  const drain = {
    delayMs: read.int('SHUTDOWN_DELAY_MS', options.defaults?.shutdownDelayMs ?? 0),
    timeoutMs: read.int('SHUTDOWN_TIMEOUT_MS', 10_000),
  }
  const logFiles = logFileSettings(read)
  const tracing = tracingSettings(read)
  const limits = serverLimits(read)
  const security = securitySettings(read)
  // The gateway's own figures, on a port of their own where internal listeners are (SERVICE_HOST):
  // its port is public, and they are for the operators' scraper. 0: not served at all.
  const metricsPort = read.int('GATEWAY_METRICS_PORT', 0, { max: 65535 })
  const metricsHost = read.string('SERVICE_HOST', '127.0.0.1')
  // The settings the order service prices from: the menu shown is the menu charged.
  const web = { root: read.string('WEB_ROOT', webRoot), menu: readMenu(read) }
  const access = accessSettings(read)
  const sessionRecheckMs = read.int('SESSION_RECHECK_MS', 5000, { min: 0, max: 600_000 })
  // The client's address as the limits count it: X-Forwarded-For only from proxies named here.
  const trustProxy = trustProxySetting(read)
  const rateLimits = rateLimitSettings(read)
  const caps = streamCaps(streamCapSettings(read), access)
  read.done()

  const { log, close: closeLog } = await serviceLogger(options.logger, 'gateway', logFiles)
  if (access.open) log.warn(OPEN_MODE_WARNING)
  const tracer = tracing && (await startTracing('gateway', tracing))
  const metrics = createServiceMetrics('gateway')
  const app = await createHttpApp({
    name: 'gateway',
    logger: log,
    metrics,
    serveMetrics: false,
    tracing: tracer,
    limits,
    trustProxy,
  })
  app.addHook('onClose', closeLog)
  await registerSecurityHeaders(app, security)
  if (tracer) app.addHook('onClose', () => tracer.shutdown())
  const balancers = upstreamBalancers(names, urls, { log, timeoutMs, replicasFile })
  app.addHook('onClose', () => balancers.close())
  // Docs ask any ready replica.
  const upstreams = {} as Record<Upstream, string>
  for (const name of names) Object.defineProperty(upstreams, name, { get: () => balancers[name].pick() })
  registerSessionGate(app, {
    access,
    recheckMs: sessionRecheckMs,
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
  await registerRateLimits(app, rateLimits, { access, log })
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
  await registerWebUi(app, { ...web, open: access.open, log })
  // Docs must not hang on a slow service: a short deadline, and that service is left out.
  await registerDocs(app, openApiSource({ routes, upstreams, timeoutMs: Math.min(timeoutMs, 2000), log }))
  let metricsServer: MetricsServer | undefined
  try {
    await app.listen({ host, port, listenTextResolver: () => '' })
    if (metricsPort > 0) {
      metricsServer = await startMetricsServer({ host: metricsHost, port: metricsPort, metrics, limits, log })
    }
  } catch (error) {
    await app.close()
    throw error
  }
  const bound = boundAddress(app, { host, port })
  const url = `http://127.0.0.1:${bound.port}`
  log.info({ url, host: bound.host, metrics: metricsServer?.url, upstreams: urls }, 'gateway started')
  return {
    name: 'gateway',
    url,
    host: bound.host,
    app,
    async stop() {
      // Scrapes go on while the gateway drains.
      await drainHttp(app, drain, log)
      await metricsServer?.close()
    },
  }
}
