import type { Server, ServerOptions } from 'node:http'
import { type ConfigReader, configReader } from '../config.ts'
import type { Logger } from '../logger.ts'

/**
 * What every HTTP server of the system (the gateway, each service, the gateway's metrics port)
 * allows a client, so that slow or idle connections cannot pile up until nothing else gets in.
 */
export interface ServerLimits {
  /** The request line and headers must have arrived within this (`HEADERS_TIMEOUT_MS`). */
  readonly headersTimeoutMs: number
  /**
   * The whole request, body included, must have arrived within this (`REQUEST_TIMEOUT_MS`), or it
   * is answered 408 and the connection closed. It ends once the request is in: the response may
   * take as long as it lasts, which is what lets a Server-Sent Event stream live on.
   */
  readonly requestTimeoutMs: number
  /** A kept-alive connection waiting for its next request is closed after this (`KEEP_ALIVE_TIMEOUT_MS`). */
  readonly keepAliveTimeoutMs: number
  /**
   * A connection on which nothing moves either way for this long is closed (`IDLE_TIMEOUT_MS`),
   * streams included: their heartbeat (`LIVE_HEARTBEAT_MS`) must come more often.
   */
  readonly idleTimeoutMs: number
  /** Connections open at once; one more is closed as soon as it is accepted (`MAX_CONNECTIONS`). */
  readonly maxConnections: number
}

export function serverLimits(read: ConfigReader): ServerLimits {
  return {
    headersTimeoutMs: read.int('HEADERS_TIMEOUT_MS', 10_000, { min: 1 }),
    requestTimeoutMs: read.int('REQUEST_TIMEOUT_MS', 30_000, { min: 1 }),
    // Longer than the 60 s idle timeout of common load balancers: the balancer, not the server,
    // closes an idle connection, so it never sends a request on one the server is closing.
    keepAliveTimeoutMs: read.int('KEEP_ALIVE_TIMEOUT_MS', 72_000, { min: 1 }),
    idleTimeoutMs: read.int('IDLE_TIMEOUT_MS', 60_000, { min: 1 }),
    // Well above what the live feeds allow (1000 listeners each), well below a process's usual
    // file limit: a flood of connections is refused before it exhausts descriptors or memory.
    maxConnections: read.int('MAX_CONNECTIONS', 4096, { min: 1 }),
  }
}

export const defaultServerLimits: ServerLimits = serverLimits(configReader({}))

/** The options of `http.createServer` that carry the limits (Fastify takes them as `http`). */
export function serverOptions(limits: ServerLimits): ServerOptions {
  // The headers are part of the request: its deadline bounds them too (Node refuses a longer one).
  const headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs)
  return {
    headersTimeout,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks both deadlines on a timer, every 30 s by default: far too late for a 10 s one.
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(headersTimeout / 4))),
  }
}

/** How often at most a server says it turned connections away. */
const DROP_REPORT_MS = 10_000

/**
 * The limits a server takes after it is made: the idle timeout and the connection cap, whose
 * refusals are logged (at most every 10 s, with their count) so a full server is not a mystery.
 */
export function limitConnections(server: Server, limits: ServerLimits, log: Logger): void {
  server.setTimeout(limits.idleTimeoutMs)
  server.maxConnections = limits.maxConnections
  let dropped = 0
  let reported = 0
  server.on('drop', () => {
    dropped++
    const now = Date.now()
    if (now - reported < DROP_REPORT_MS) return
    log.warn(
      { dropped, maxConnections: limits.maxConnections },
      'connection refused: MAX_CONNECTIONS reached',
    )
    reported = now
    dropped = 0
  })
}
