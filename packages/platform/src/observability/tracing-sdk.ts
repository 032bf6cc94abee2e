import {
  type Context,
  context,
  createContextKey,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter as OtlpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as OtlpProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources'
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace'
import type { BusMessage } from '../bus/port.ts'
import type { ServerSpan, ServiceTracer, TracedCall, TracingSettings } from './tracing.ts'

// The tracer of the service whose request or delivery is running: a call made from it (the HTTP
// client knows no service) gets its CLIENT span from there.
const SERVICE_TRACER = createContextKey('cafeteria service tracer')

const propagator = new W3CTraceContextPropagator()
type Carrier = Record<string, unknown>
const getter: TextMapGetter<Carrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key]
    return typeof value === 'string' ? value : Array.isArray(value) ? (value[0] as string) : undefined
  },
}
const setter: TextMapSetter<Carrier> = {
  set: (carrier, key, value) => {
    carrier[key] = value
  },
}

let contextManagerInstalled = false

/** One context manager per thread (the API keeps it globally): AsyncLocalStorage. */
function installContextManager(): void {
  if (contextManagerInstalled) return
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  contextManagerInstalled = true
}

function exporterOf(kind: 'otlp' | 'console', settings: TracingSettings): SpanExporter {
  if (kind === 'console') return new ConsoleSpanExporter()
  const config = {
    url: settings.otlp.url,
    headers: { ...settings.otlp.headers },
    timeoutMillis: settings.otlp.timeoutMs,
  }
  return settings.otlp.protocol === 'http/json'
    ? new OtlpJsonTraceExporter(config)
    : new OtlpProtobufTraceExporter(config)
}

function samplerOf(settings: TracingSettings): Sampler {
  const ratio = new TraceIdRatioBasedSampler(settings.samplerRatio)
  switch (settings.sampler) {
    case 'always_on':
      return new AlwaysOnSampler()
    case 'always_off':
      return new AlwaysOffSampler()
    case 'traceidratio':
      return ratio
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() })
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio })
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() })
    default: {
      const exhaustive: never = settings.sampler
      throw new Error(`unknown sampler ${exhaustive}`)
    }
  }
}

const pathOf = (url: string) => {
  const query = url.indexOf('?')
  return query < 0 ? url : url.slice(0, query)
}

function failed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error))
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  })
}

export function createServiceTracer(service: string, settings: TracingSettings): ServiceTracer {
  installContextManager()
  const provider = new TracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        'service.namespace': 'cafeteria',
        'service.name': service,
        ...settings.resource,
        ...(settings.serviceName && { 'service.name': settings.serviceName }),
      }),
    ),
    sampler: samplerOf(settings),
    spanProcessors: settings.exporters.map(
      (kind) => new BatchSpanProcessor({ exporter: exporterOf(kind, settings), ...settings.batch }),
    ),
  })
  const tracer = provider.getTracer('cafeteria')
  const within = (parent: Context, span: Span) => trace.setSpan(parent, span).setValue(SERVICE_TRACER, tracer)

  return {
    serve(method, route, url, headers): ServerSpan {
      const parent = propagator.extract(ROOT_CONTEXT, headers as Carrier, getter)
      const span = tracer.startSpan(
        route ? `${method} ${route}` : method,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': method,
            'url.path': pathOf(url),
            ...(route && { 'http.route': route }),
          },
        },
        parent,
      )
      const current = within(parent, span)
      let ended = false
      return {
        run: (work) => context.with(current, work),
        inject: (carrier) => propagator.inject(current, carrier, setter),
        traceId: span.spanContext().traceId,
        end(status) {
          if (ended) return
          ended = true
          span.setAttribute('http.response.status_code', status)
          if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
          span.end()
        },
      }
    },

    async consume(message: BusMessage, handle) {
      const parent = message.headers
        ? propagator.extract(ROOT_CONTEXT, message.headers, getter)
        : ROOT_CONTEXT
      const span = tracer.startSpan(
        `process ${message.type}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.operation.type': 'process',
            'messaging.destination.name': message.type,
            'messaging.message.id': message.id,
            'messaging.consumer.group.name': service,
            'cafe.delivery.attempt': message.attempt,
          },
        },
        parent,
      )
      try {
        const outcome = await context.with(within(parent, span), handle)
        span.setAttribute('cafe.delivery.outcome', String(outcome))
        return outcome
      } catch (error) {
        failed(span, error)
        throw error
      } finally {
        span.end()
      }
    },

    emitting(types) {
      const parent = context.active()
      const destination = types.join(',')
      const span = tracer.startSpan(
        `send ${destination}`,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            'messaging.operation.type': 'send',
            'messaging.destination.name': destination,
            'messaging.batch.message_count': types.length,
          },
        },
        parent,
      )
      // The event is only recorded now; the relay publishes it after commit, in no trace of its own.
      span.end()
      const headers: Record<string, string> = {}
      propagator.inject(trace.setSpan(parent, span), headers, setter)
      return headers
    },

    shutdown: () => provider.shutdown(),
  }
}

export function traceCall(
  callee: string,
  method: string,
  path: string,
  headers: Record<string, string>,
): TracedCall | undefined {
  const parent = context.active()
  const tracer = parent.getValue(SERVICE_TRACER) as Tracer | undefined
  if (!tracer) return undefined
  const url = pathOf(path)
  const span = tracer.startSpan(
    `${method} ${url}`,
    {
      kind: SpanKind.CLIENT,
      attributes: { 'http.request.method': method, 'server.address': callee, 'url.path': url },
    },
    parent,
  )
  const carrier: Record<string, string> = { ...headers }
  propagator.inject(trace.setSpan(parent, span), carrier, setter)
  return {
    headers: carrier,
    end(status, error) {
      if (status !== undefined) span.setAttribute('http.response.status_code', status)
      if (error !== undefined) failed(span, error)
      else if (status !== undefined && status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
      span.end()
    },
  }
}
