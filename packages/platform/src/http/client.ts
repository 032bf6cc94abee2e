import { Pool } from 'undici'

/**
 * Wraps each call: the place for a circuit breaker and retries. The default runs the call once.
 */
export interface CallPolicy {
  execute<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T>
}

export const directPolicy: CallPolicy = { execute: (call) => call(new AbortController().signal) }

/** The callee could not be reached or did not answer in time: the caller decides the fallback. */
export class UpstreamUnavailable extends Error {
  readonly upstream: string
  constructor(upstream: string, reason: string, options?: { cause?: unknown }) {
    super(`${upstream} unavailable: ${reason}`, options)
    this.name = 'UpstreamUnavailable'
    this.upstream = upstream
  }
}

export interface JsonResponse<T> {
  readonly status: number
  readonly body: T
}

export interface HttpClient {
  send<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<JsonResponse<T>>
  close(): Promise<void>
}

export interface HttpClientOptions {
  /** Names the callee in errors and logs. */
  readonly name: string
  readonly baseUrl: string
  readonly timeoutMs: number
  readonly connections?: number
  readonly policy?: CallPolicy
}

/**
 * A JSON client for the two synchronous calls, over a keep-alive connection pool. Every call
 * has a deadline; failures to reach the callee become `UpstreamUnavailable`, answers of any
 * status are returned for the caller to interpret.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const pool = new Pool(options.baseUrl, { connections: options.connections ?? 64, pipelining: 1 })
  const policy = options.policy ?? directPolicy
  return {
    async send(method, path, body, headers = {}) {
      try {
        return await policy.execute(async (signal) => {
          const response = await pool.request({
            method,
            path,
            headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]),
          })
          const text = await response.body.text()
          return { status: response.statusCode, body: (text ? JSON.parse(text) : undefined) as never }
        })
      } catch (error) {
        if (error instanceof UpstreamUnavailable) throw error
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
        throw new UpstreamUnavailable(options.name, reason, { cause: error })
      }
    },
    close: () => pool.close(),
  }
}
