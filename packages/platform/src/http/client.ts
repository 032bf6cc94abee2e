import { createLogger, type Logger } from '../logger.ts'
import { traceCalls } from '../observability/tracing.ts'
import { createBalancer, neverReached } from './balancer.ts'

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

/**
 * `open`: the circuit breaker refused the call; `busy`: the bulkhead did (no free slot in time);
 * `timeout`: no answer in time; `failed`: no answer at all (connection refused or broken).
 */
export type UnavailableReason = 'open' | 'timeout' | 'failed' | 'busy'

/** The callee could not be reached or did not answer in time: the caller decides the fallback. */
export class UpstreamUnavailable extends Error {
  readonly upstream: string
  readonly reason: UnavailableReason
  readonly detail: string
  /**
   * False only when the request certainly never reached the callee: refused by the breaker or the
   * bulkhead before any attempt, or no connection could be made for any attempt. True when some
   * attempt may have arrived and been carried out, its answer lost (a timeout, a broken
   * connection): a caller that must not leave an effect half known has to find out later.
   */
  readonly maybeSent: boolean
  constructor(
    upstream: string,
    reason: UnavailableReason,
    detail: string,
    { maybeSent = true, ...options }: { cause?: unknown; maybeSent?: boolean } = {},
  ) {
    super(`${upstream} unavailable: ${detail}`, options)
    this.name = 'UpstreamUnavailable'
    this.upstream = upstream
    this.reason = reason
    this.detail = detail
    this.maybeSent = maybeSent
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
      // Attempts that may have reached the callee: counted when one starts (a deadline may cut it
      // short at any point), taken back when its connection could not even be made.
      let mayHaveArrived = 0
      try {
        return await policy.execute(
          async (signal) => {
            mayHaveArrived++
            // A replica that refuses the connection is skipped at once; a retry (idempotent calls
            // only, by the policy) goes to the next replica.
            const response = await upstream
              .request({
                method,
                path,
                headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
                ...(body === undefined ? {} : { body: JSON.stringify(body) }),
                signal,
              })
              .catch((error: unknown) => {
                if (neverReached(error)) mayHaveArrived--
                throw error
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
        const maybeSent = mayHaveArrived > 0
        if (error instanceof UpstreamUnavailable) {
          if (maybeSent || !error.maybeSent) throw error
          // The policy saw attempts fail; only here is it known that none of them connected.
          throw new UpstreamUnavailable(error.upstream, error.reason, error.detail, {
            cause: error.cause,
            maybeSent,
          })
        }
        const timedOut = error instanceof Error && ['TimeoutError', 'AbortError'].includes(error.name)
        const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
        throw new UpstreamUnavailable(options.name, timedOut ? 'timeout' : 'failed', detail, {
          cause: error,
          maybeSent,
        })
      }
    },
    close: () => upstream.close(),
  })
}
