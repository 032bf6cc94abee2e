import {
  accessSettings,
  CLIENT_ADDRESS_HEADER,
  configReader,
  createHttpApp,
  createServiceMetrics,
  drainHttp,
  type Env,
  type Logger,
  logFileSettings,
  OPEN_MODE_WARNING,
  problem,
  type RunningService,
  serviceLogger,
  startTracing,
  tracingSettings,
} from '@cafeteria/platform'
import { webRoot } from '@cafeteria/web'
import proxy from '@fastify/http-proxy'
import { openApiSource, registerDocs } from './docs.ts'
import { readMenu } from './menu.ts'
import { routes, type Upstream, upstreamDefaults } from './routes.ts'
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
  const web = { root: read.string('WEB_ROOT', webRoot), menu: readMenu(read) }
  const access = accessSettings(read)
  read.done()

  const { log, close: closeLog } = await serviceLogger(options.logger, 'gateway', logFiles)
  if (access.open) log.warn(OPEN_MODE_WARNING)
  const tracer = tracing && (await startTracing('gateway', tracing))
  const app = await createHttpApp({
    name: 'gateway',
    logger: log,
    metrics: createServiceMetrics('gateway'),
    tracing: tracer,
  })
  app.addHook('onClose', closeLog)
  if (tracer) app.addHook('onClose', () => tracer.shutdown())
  const balancers = upstreamBalancers(names, urls, { log, timeoutMs, replicasFile })
  app.addHook('onClose', () => balancers.close())
  // Docs ask any ready replica.
  const upstreams = {} as Record<Upstream, string>
  for (const name of names) Object.defineProperty(upstreams, name, { get: () => balancers[name].pick() })
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
  registerStreams(app, balancers, { timeoutMs, log })
  await registerWebUi(app, { ...web, log })
  // Docs must not hang on a slow service: a short deadline, and that service is left out.
  await registerDocs(app, openApiSource({ routes, upstreams, timeoutMs: Math.min(timeoutMs, 2000), log }))
  await app.listen({ host, port, listenTextResolver: () => '' }).catch(async (error: unknown) => {
    await app.close()
    throw error
  })
  const address = app.server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`
  log.info({ url, upstreams: urls }, 'gateway started')
  return {
    name: 'gateway',
    url,
    app,
    stop: () => drainHttp(app, drain, log),
  }
}
