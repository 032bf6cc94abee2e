import type { BusMessage } from '../bus/port.ts'
import { ConfigError, type ConfigReader } from '../config.ts'
import type { HttpClient, SendOptions } from '../http/client.ts'

type Method = Parameters<HttpClient['send']>[0]

/**
 * OpenTelemetry tracing, off unless configured by the standard variables (see tracingSettings).
 * Off, nothing of the SDK is loaded and no hook is installed: the platform asks only whether a
 * `ServiceTracer` exists. On, the SDK is loaded once per thread (tracing-sdk.ts) and each service
 * gets a tracer provider of its own, so spans name the service that made them even when several
 * share a process.
 */

export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio'

export interface TracingSettings {
  readonly exporters: readonly ('otlp' | 'console')[]
  readonly otlp: {
    /** Where spans are POSTed: the traces endpoint itself, `…/v1/traces`. */
    readonly url: string
    readonly protocol: 'http/protobuf' | 'http/json'
    readonly headers: Readonly<Record<string, string>>
    readonly timeoutMs: number
  }
  readonly sampler: SamplerName
  readonly samplerRatio: number
  /** `OTEL_SERVICE_NAME`: replaces each service's own name (meant for one service per process). */
  readonly serviceName: string | undefined
  readonly resource: Readonly<Record<string, string>>
  readonly batch: {
    readonly scheduledDelayMillis: number
    readonly maxQueueSize: number
    readonly maxExportBatchSize: number
    readonly exportTimeoutMillis: number
  }
}

const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
]

/** `key=value,key2=value2`, values percent-encoded, as the OTel spec writes headers and attributes. */
function keyValues(name: string, text: string | undefined, problems: string[]): Record<string, string> {
  const pairs: Record<string, string> = {}
  for (const item of (text ?? '').split(',')) {
    if (item.trim() === '') continue
    const at = item.indexOf('=')
    const key = item.slice(0, at).trim()
    try {
      if (at < 1 || key === '') throw new Error('no key')
      pairs[key] = decodeURIComponent(item.slice(at + 1).trim())
    } catch {
      problems.push(`${name}: "${item}" is not key=value`)
    }
  }
  return pairs
}

/**
 * Tracing is on when `OTEL_TRACES_EXPORTER` names an exporter (`otlp`, `console`), or when it is
 * unset and an OTLP endpoint is given; `OTEL_SDK_DISABLED=true` turns it off whatever else says.
 * Undefined when off.
 */
export function tracingSettings(read: ConfigReader): TracingSettings | undefined {
  const problems: string[] = []
  const disabled = read.bool('OTEL_SDK_DISABLED', false)
  const endpoint = read.optional('OTEL_EXPORTER_OTLP_ENDPOINT')
  const tracesEndpoint = read.optional('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')
  const named = read.optional('OTEL_TRACES_EXPORTER')
  const listed = named?.split(',').map((e) => e.trim()) ?? (endpoint || tracesEndpoint ? ['otlp'] : [])
  const exporters: ('otlp' | 'console')[] = []
  for (const exporter of listed) {
    if (exporter === 'otlp' || exporter === 'console') exporters.push(exporter)
    else if (exporter !== 'none')
      problems.push(`OTEL_TRACES_EXPORTER: "${exporter}" is not one of otlp, console, none`)
  }
  const protocol =
    read.optional('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ??
    read.optional('OTEL_EXPORTER_OTLP_PROTOCOL') ??
    'http/protobuf'
  if (protocol !== 'http/protobuf' && protocol !== 'http/json')
    problems.push(
      `OTEL_EXPORTER_OTLP_PROTOCOL: "${protocol}" is not supported; use http/protobuf or http/json`,
    )
  const base = (endpoint ?? 'http://localhost:4318').replace(/\/+$/, '')
  const url = tracesEndpoint ?? `${base}/v1/traces`
  if (!URL.canParse(url)) problems.push(`OTEL_EXPORTER_OTLP_ENDPOINT: "${url}" is not a URL`)
  const headers = {
    ...keyValues('OTEL_EXPORTER_OTLP_HEADERS', read.optional('OTEL_EXPORTER_OTLP_HEADERS'), problems),
    ...keyValues(
      'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
      read.optional('OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
      problems,
    ),
  }
  const timeoutMs = read.int(
    'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
    read.int('OTEL_EXPORTER_OTLP_TIMEOUT', 10_000, { min: 1 }),
    { min: 1 },
  )
  const sampler = read.oneOf('OTEL_TRACES_SAMPLER', SAMPLERS, 'parentbased_always_on')
  const ratioText = read.optional('OTEL_TRACES_SAMPLER_ARG')
  const samplerRatio = ratioText === undefined ? 1 : Number(ratioText)
  if (!(samplerRatio >= 0 && samplerRatio <= 1))
    problems.push(`OTEL_TRACES_SAMPLER_ARG: "${ratioText}" is not a ratio from 0 to 1`)
  const resource = keyValues('OTEL_RESOURCE_ATTRIBUTES', read.optional('OTEL_RESOURCE_ATTRIBUTES'), problems)
  const batch = {
    scheduledDelayMillis: read.int('OTEL_BSP_SCHEDULE_DELAY', 5000, { min: 1 }),
    maxQueueSize: read.int('OTEL_BSP_MAX_QUEUE_SIZE', 2048, { min: 1 }),
    maxExportBatchSize: read.int('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, { min: 1 }),
    exportTimeoutMillis: read.int('OTEL_BSP_EXPORT_TIMEOUT', 30_000, { min: 1 }),
  }
  const serviceName = read.optional('OTEL_SERVICE_NAME')
  if (problems.length > 0) throw new ConfigError(problems)
  if (disabled || exporters.length === 0) return undefined
  return {
    exporters,
    otlp: { url, protocol: protocol as 'http/protobuf' | 'http/json', headers, timeoutMs },
    sampler,
    samplerRatio,
    serviceName,
    resource,
    batch,
  }
}

/** What one request being served needs: its span, made current while the handler runs. */
export interface ServerSpan {
  /** Runs `work` with the span current, so calls and events it makes continue the trace. */
  run<T>(work: () => T): T
  /** W3C headers continuing the trace, for a request the gateway forwards. */
  inject(headers: Record<string, string | string[] | undefined>): void
  readonly traceId: string
  end(status: number): void
}

/** A service's tracer: the spans the platform makes for it. */
export interface ServiceTracer {
  /** A SERVER span continuing the caller's trace (`traceparent`), or a new trace. */
  serve(
    method: string,
    route: string | undefined,
    url: string,
    headers: Readonly<Record<string, unknown>>,
  ): ServerSpan
  /** Runs a delivery in a CONSUMER span continuing the trace its event was emitted in. */
  consume<T>(message: BusMessage, handle: () => Promise<T>): Promise<T>
  /**
   * Marks events being emitted with a PRODUCER span in the current trace (a new one outside any,
   * as in a background sweep); returns the headers the outbox stores with them.
   */
  emitting(types: readonly string[]): Record<string, string>
  shutdown(): Promise<void>
}

type Sdk = typeof import('./tracing-sdk.ts')
// Loaded by the first traced service of this thread; never when tracing is off.
let sdk: Sdk | undefined

export async function startTracing(service: string, settings: TracingSettings): Promise<ServiceTracer> {
  sdk ??= await import('./tracing-sdk.ts')
  return sdk.createServiceTracer(service, settings)
}

/** A synchronous call, in a CLIENT span when the code making it is traced. */
export interface TracedCall {
  /** The headers to send: `headers` plus the W3C trace context. */
  readonly headers: Record<string, string>
  end(status: number | undefined, error?: unknown): void
}

/**
 * The client, its calls in CLIENT spans carrying the trace to the callee; the client itself when
 * no service of this thread traces.
 */
export function traceCalls(callee: string, client: HttpClient): HttpClient {
  const traced = sdk?.traceCall
  if (!traced) return client
  return {
    async send<T>(method: Method, path: string, body?: unknown, options: SendOptions = {}) {
      const call = traced(callee, method, path, options.headers ?? {})
      if (!call) return client.send<T>(method, path, body, options)
      try {
        const answer = await client.send<T>(method, path, body, { ...options, headers: call.headers })
        call.end(answer.status)
        return answer
      } catch (error) {
        call.end(undefined, error)
        throw error
      }
    },
    close: () => client.close(),
  }
}
