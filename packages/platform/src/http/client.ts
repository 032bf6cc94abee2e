import { createLogger, type Logger } from '../logger.ts'
import { traceCalls } from '../observability/tracing.ts'
import { createBalancer } from './balancer.ts'

export interface CallOptions {
  /** The callee makes the same effect once however often it is asked, so a failed call may be repeated. */
  readonly idempotent?: boolean
}

/**
 * Wraps each call: deadlines, a circuit breaker, retries (see `createCallPolicy`). A call that
 * got an answer the callee could not handle throws `UpstreamAnswered` so the policy counts it.
 */
export interface CallPolicy {
  execute<T>(call: (signal: AbortSignal) => Promise<T>, options?: CallOptions): Promise<T>
}

/** One attempt under one deadline: what a client does without a policy of its own. */
export const deadlinePolicy = (timeoutMs: number): CallPolicy => ({
  execute: (call) => call(AbortSignal.timeout(timeoutMs)),
})

/** `open`: the circuit breaker refused the call without trying it. */
export type UnavailableReason = 'open' | 'timeout' | 'failed' | 'busy'

/** The callee could not be reached or did not answer in time: the caller decides the fallback. */
export class UpstreamUnavailable extends Error {
  readonly upstream: string
  readonly reason: UnavailableReason
  constructor(upstream: string, reason: UnavailableReason, detail: string, options?: { cause?: unknown }) {
    super(`${upstream} unavailable: ${detail}`, options)
    this.name = 'UpstreamUnavailable'
    this.upstream = upstream
    this.reason = reason
  }
}

export interface JsonResponse<T> {
  readonly status: number
  readonly body: T
}

/** The callee answered with a 5xx: a failure to a circuit breaker, an answer to the caller. */
export class UpstreamAnswered extends Error {
  readonly response: JsonResponse<unknown>
  constructor(upstream: string, response: JsonResponse<unknown>) {
    super(`${upstream} answered ${response.status}`)
    this.name = 'UpstreamAnswered'
    this.response = response
  }
}

export interface SendOptions extends CallOptions {
  readonly headers?: Record<string, string>
}

export interface HttpClient {
  send<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    options?: SendOptions,
  ): Promise<JsonResponse<T>>
  close(): Promise<void>
}

export interface HttpClientOptions {
  /** Names the callee in errors and logs. */
  readonly name: string
  /** The callee, or its replicas (balanced; see `createBalancer`). */
  readonly baseUrl: string | readonly string[]
  /** Follows the callee's replicas as the distributed runner lists them (`REPLICAS_FILE`). */
  readonly replicasFile?: string
  /** Where a balancer over several replicas reports replicas leaving and rejoining. */
  readonly log?: Logger
  /** Deadline of a call when no policy is given; a policy brings its own. */
  readonly timeoutMs?: number
  readonly connections?: number
  readonly policy?: CallPolicy
}

/**
 * A JSON client for the synchronous calls, over a keep-alive connection pool. Every call has a
 * deadline; failures to reach the callee become `UpstreamUnavailable`, answers of any status are
 * returned for the caller to interpret.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const urls = typeof options.baseUrl === 'string' ? [options.baseUrl] : options.baseUrl
  const upstream = createBalancer({
    name: options.name,
    urls,
    log: options.log ?? createLogger({ level: 'silent' }),
    ...(options.replicasFile && { replicasFile: options.replicasFile }),
    pool: { connections: options.connections ?? 64 },
  })
  const policy = options.policy ?? deadlinePolicy(options.timeoutMs ?? 5000)
  return traceCalls(options.name, {
    async send(method, path, body, { headers = {}, idempotent = false } = {}) {
      try {
        return await policy.execute(
          async (signal) => {
            // A replica that refuses the connection is skipped at once; a retry (idempotent calls
            // only, by the policy) goes to the next replica.
            const response = await upstream.request({
              method,
              path,
              headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
              ...(body === undefined ? {} : { body: JSON.stringify(body) }),
              signal,
            })
            const text = await response.body.text()
            const answer = {
              status: response.statusCode,
              body: (text ? JSON.parse(text) : undefined) as never,
            }
            if (answer.status >= 500) throw new UpstreamAnswered(options.name, answer)
            return answer
          },
          { idempotent },
        )
      } catch (error) {
        if (error instanceof UpstreamAnswered) return error.response as JsonResponse<never>
        if (error instanceof UpstreamUnavailable) throw error
        const timedOut = error instanceof Error && ['TimeoutError', 'AbortError'].includes(error.name)
        const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
        throw new UpstreamUnavailable(options.name, timedOut ? 'timeout' : 'failed', detail, { cause: error })
      }
    },
    close: () => upstream.close(),
  })
}
