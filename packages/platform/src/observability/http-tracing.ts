import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify'
import type { ServerSpan, ServiceTracer } from './tracing.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's SERVER span, when the service traces. */
    traceSpan?: ServerSpan
  }
}

const untraced = (url: string) => url.startsWith('/health/') || url.startsWith('/metrics')

/**
 * A SERVER span per request (probes and scrapes aside), continuing the caller's `traceparent`;
 * the route's handler runs with it current, so the calls it makes and the events it emits join
 * the trace. Installed only when the service traces: otherwise no hook at all.
 */
export function traceRequests(app: FastifyInstance<any, any, any, any, any>, tracer: ServiceTracer): void {
  app.decorateRequest('traceSpan', undefined)
  app.addHook('onRequest', (request, _reply, done) => {
    if (!untraced(request.url)) {
      request.traceSpan = tracer.serve(request.method, request.routeOptions.url, request.url, request.headers)
    }
    done()
  })
  // Routes registered from now on (every route: this runs while the app is being built).
  app.addHook('onRoute', (route) => {
    const handler = route.handler as (this: unknown, request: FastifyRequest, reply: FastifyReply) => unknown
    route.handler = function (this: unknown, request: FastifyRequest, reply: FastifyReply) {
      const span = request.traceSpan
      return span ? span.run(() => handler.call(this, request, reply)) : handler.call(this, request, reply)
    } as RouteHandlerMethod
  })
  app.addHook('onResponse', (request, reply, done) => {
    request.traceSpan?.end(reply.statusCode)
    done()
  })
  app.addHook('onRequestAbort', (request, done) => {
    // The client went away: 499, as proxies log it.
    request.traceSpan?.end(499)
    done()
  })
}
