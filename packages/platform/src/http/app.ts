import swagger from '@fastify/swagger'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyError, type FastifyInstance, LogController } from 'fastify'
import type { Logger } from '../logger.ts'
import { traceRequests } from '../observability/http-tracing.ts'
import { httpMetrics, type ServiceMetrics } from '../observability/metrics.ts'
import type { ServiceTracer } from '../observability/tracing.ts'
import { type AccessSettings, guardRoute, type StaffGuard } from './access.ts'
import { defaultServerLimits, limitConnections, type ServerLimits, serverOptions } from './limits.ts'
import { HttpProblem, problem } from './problem.ts'
import { type TrustProxy, trustProxyOption } from './trust-proxy.ts'
import { validatorCompiler } from './validation.ts'

export interface Check {
  readonly ok: boolean
  readonly detail: string
}
export type Readiness = () => Promise<Record<string, Check>>

export interface HttpAppOptions {
  readonly name: string
  readonly logger: Logger
  /** Dependencies that must be up for the service to take traffic (database, broker). */
  readonly readiness?: Readiness
  /** What `/health/ready` shows under `details` (circuit breakers) without affecting readiness. */
  readonly details?: () => Record<string, unknown> | undefined
  readonly bodyLimit?: number
  /** Served at `/metrics`, with a duration histogram of every other request added to it. */
  readonly metrics?: ServiceMetrics
  /**
   * `false`: the histogram is kept but `/metrics` is not served here, for an app whose port is
   * public; the metrics go out on a port of their own (metrics-server.ts).
   */
  readonly serveMetrics?: boolean
  /** A SERVER span per request, continuing the caller's trace; none without. */
  readonly tracing?: ServiceTracer
  /** Who may call what: every route then must say it (`config.access`), and is guarded by it. */
  readonly access?: { readonly settings: AccessSettings; readonly staff?: StaffGuard }
  /** Timeouts and the connection cap of its server (limits.ts); the defaults without. */
  readonly limits?: ServerLimits
  /** The proxies whose `X-Forwarded-For` gives `request.ip` (trust-proxy.ts); none without. */
  readonly trustProxy?: TrustProxy
}

export type HttpApp = FastifyInstance<any, any, any, Logger, TypeBoxTypeProvider>

/**
 * Builds (but does not start) a service's HTTP app: schema validation, problem+json errors,
 * health endpoints, an access-log line per request and an OpenAPI document from the route
 * schemas. `server.ts`-style starting and stopping lives in the service runtime.
 */
export async function createHttpApp(options: HttpAppOptions): Promise<HttpApp> {
  const limits = options.limits ?? defaultServerLimits
  const app = Fastify({
    http: serverOptions(limits),
    // Fastify sets these two on the server itself, over what `http` said.
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    loggerInstance: options.logger,
    // One access-log line per request, written by the onResponse hook below, instead of two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    // A request that arrives on a kept-alive connection as the listener closes is still served.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    ...(options.trustProxy !== undefined && { trustProxy: trustProxyOption(options.trustProxy) }),
  }).withTypeProvider<TypeBoxTypeProvider>()
  limitConnections(app.server, limits, options.logger)
  app.setValidatorCompiler(validatorCompiler)
  const { access } = options
  if (access) {
    app.decorateRequest('customer', undefined)
    app.addHook('onRoute', (route) => guardRoute(route, access.settings, { staff: access.staff }))
  }
  if (options.tracing) traceRequests(app, options.tracing)

  let closing = false
  app.addHook('onClose', async () => {
    closing = true
  })
  app.decorate('markNotReady', () => {
    closing = true
  })
  // Once shutting down, every response (those already in flight too) ends its connection, so
  // keep-alive clients (a balancer's pool) reconnect, to another replica, and none is left idle.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })

  // Probes and scrapes come every few seconds and say nothing about the traffic: no line, no
  // sample. `reqId` comes with `request.log`; the gateway passes it on to the service it calls.
  const durations = options.metrics && httpMetrics(options.metrics)
  app.addHook('onResponse', (request, reply, done) => {
    const { url } = request
    if (url.startsWith('/health/') || url.startsWith('/metrics')) return done()
    durations?.observe(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    )
    if ((request.log as Logger).isLevelEnabled('info')) {
      request.log.info(
        {
          method: request.method,
          path: url,
          status: reply.statusCode,
          bytes: Number(reply.getHeader('content-length') ?? 0),
          ms: Math.round(reply.elapsedTime * 10) / 10,
          traceId: request.traceSpan?.traceId,
        },
        'request',
      )
    }
    done()
  })

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpProblem) {
      return reply
        .code(error.status)
        .headers(error.headers)
        .type('application/problem+json')
        .send(problem(error.status, error.type, error.detail, { instance: request.url, ...error.extra }))
    }
    if (error.validation) {
      const errors = error.validation.map((v) => ({
        path: v.instancePath || `/${(v.params as { missingProperty?: string }).missingProperty ?? ''}`,
        message: v.message ?? 'is invalid',
      }))
      const where = error.validationContext ?? 'request'
      return reply
        .code(400)
        .type('application/problem+json')
        .send(
          problem(
            400,
            'invalid-request',
            `${where}: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
            {
              instance: request.url,
              errors,
            },
          ),
        )
    }
    const status = error.statusCode ?? 500
    if (status < 500) {
      const slug = (error.code ?? 'bad-request')
        .replace(/^FST_ERR_(CTP_)?/, '')
        .toLowerCase()
        .replaceAll('_', '-')
      return reply
        .code(status)
        .type('application/problem+json')
        .send(problem(status, slug, error.message, { instance: request.url }))
    }
    request.log.error({ err: error }, 'request failed')
    return reply
      .code(status)
      .type('application/problem+json')
      .send(
        problem(status, 'internal', 'The server could not complete the request.', { instance: request.url }),
      )
  })

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type('application/problem+json')
      .send(problem(404, 'no-route', `no route for ${request.method} ${request.url.split('?')[0]}`)),
  )

  await app.register(swagger, {
    openapi: { info: { title: `cafeteria ${options.name}`, version: '1.0.0' } },
  })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  const { metrics } = options
  if (metrics && options.serveMetrics !== false) {
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
      reply.type(metrics.contentType).send(await metrics.scrape()),
    )
  }
  app.get('/health/live', { schema: { hide: true } }, async () => ({ status: 'UP' }))
  app.get('/health/ready', { schema: { hide: true } }, async (_request, reply) => {
    const checks = closing
      ? { shutdown: { ok: false, detail: 'shutting down' } }
      : await safeChecks(options.readiness)
    const up = Object.values(checks).every((c) => c.ok)
    const details = options.details?.()
    return reply
      .code(up ? 200 : 503)
      .send({ status: up ? 'UP' : 'DOWN', checks, ...(details && { details }) })
  })
  return app
}

async function safeChecks(readiness?: Readiness): Promise<Record<string, Check>> {
  if (!readiness) return {}
  try {
    return await readiness()
  } catch (error) {
    return { readiness: { ok: false, detail: (error as Error).message } }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Turns readiness false at once, before the listener closes (graceful shutdown, step one). */
    markNotReady(): void
  }
}
