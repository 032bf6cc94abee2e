import { unwatchFile, watchFile } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { type Dispatcher, Pool } from 'undici'
import type { Logger } from '../logger.ts'

export interface BalancerOptions {
  /** The upstream service, for logs and the replicas file. */
  readonly name: string
  readonly urls: readonly string[]
  readonly log: Logger
  /** How often each replica's `/health/ready` is asked, while there is more than one replica. */
  readonly checkIntervalMs?: number
  /**
   * A JSON file `{ "<name>": ["http://…", …] }` that replaces `urls` whenever it changes: the
   * distributed runner rewrites it when a rolling restart swaps a replica for a new one.
   */
  readonly replicasFile?: string
  /** How often the replicas file is looked at. */
  readonly fileIntervalMs?: number
  readonly pool?: Pool.Options
}

export type BalancedRequest = Dispatcher.RequestOptions

export interface ReplicaState {
  readonly url: string
  readonly ready: boolean
  readonly detail: string
}

/**
 * Client-side load balancing over a service's replicas: round robin over the ready ones. A
 * replica is taken out when it fails its readiness check (actively asked every
 * `checkIntervalMs`) or refuses a connection (passively), and back in once a check passes. With
 * one replica nothing is checked and every request goes to it, as without a balancer.
 */
export interface Balancer {
  /**
   * Sends the request to a ready replica. One that never reached a replica is always sent to the
   * next; one that reached a replica whose connection then broke, only with `retryIfReached` (a
   * GET, a request the callee deduplicates). `options.origin` is ignored.
   */
  request(options: BalancedRequest, retryIfReached?: boolean): Promise<Dispatcher.ResponseData>
  /** Some replica's address, for requests made outside `request` (documents, probes). */
  pick(): string
  replicas(): readonly ReplicaState[]
  update(urls: readonly string[]): void
  close(): Promise<void>
}

interface Replica {
  readonly url: string
  readonly pool: Pool
  ready: boolean
  detail: string
  /** Readiness checks in a row that got no answer. */
  unanswered: number
}

/** A replica that says it is not ready is out at once; one that does not answer, after this many checks. */
const UNANSWERED_CHECKS = 2

/** Errors of a request that never left: no connection was made, so no replica saw it. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
])
/** The connection broke after the request was (perhaps) sent: retried only if that is safe. */
const BROKEN = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'])

const codeOf = (error: unknown) => {
  const code = (error as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? code : ''
}
const describe = (error: unknown) => codeOf(error) || (error as Error).name || String(error)
export const neverReached = (error: unknown) => NOT_CONNECTED.has(codeOf(error))

/** A body sent again must be the same bytes: a stream is consumed by the first attempt. */
const replayable = (body: unknown) =>
  body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array

export function createBalancer(options: BalancerOptions): Balancer {
  const { name, log } = options
  const checkIntervalMs = options.checkIntervalMs ?? 500
  let replicas: Replica[] = []
  let next = 0
  let timer: NodeJS.Timeout | undefined
  let checking = false
  let closed = false

  const open = (url: string): Replica => ({
    url,
    pool: new Pool(url, { pipelining: 1, ...options.pool }),
    ready: true,
    detail: 'added',
    unanswered: 0,
  })

  const markReady = (replica: Replica, ready: boolean, detail: string) => {
    if (replica.ready !== ready) {
      if (ready) log.info({ upstream: name, replica: replica.url }, 'replica ready: taking traffic again')
      else log.warn({ upstream: name, replica: replica.url, detail }, 'replica out of rotation')
    }
    replica.ready = ready
    replica.detail = detail
  }

  /** The next ready replica not yet tried; a not-ready one only when no ready one is left. */
  const choose = (tried: ReadonlySet<Replica> | undefined): Replica | undefined => {
    const n = replicas.length
    if (n === 1) return tried?.has(replicas[0] as Replica) ? undefined : replicas[0]
    let fallback: Replica | undefined
    for (let i = 0; i < n; i++) {
      next = (next + 1) % n
      const replica = replicas[next] as Replica
      if (tried?.has(replica)) continue
      if (replica.ready) return replica
      fallback ??= replica
    }
    return fallback
  }

  const check = async (replica: Replica) => {
    const timeoutMs = Math.max(1000, Math.min(2000, checkIntervalMs * 4))
    try {
      const response = await replica.pool.request({
        method: 'GET',
        path: '/health/ready',
        signal: AbortSignal.timeout(timeoutMs),
      })
      await response.body.dump()
      replica.unanswered = 0
      markReady(replica, response.statusCode === 200, `readiness ${response.statusCode}`)
    } catch (error) {
      // A busy replica may miss one check; a refused connection is caught by requests too.
      if (++replica.unanswered >= UNANSWERED_CHECKS || neverReached(error))
        markReady(replica, false, `readiness check failed: ${describe(error)}`)
    }
  }

  const checkAll = () => {
    if (checking || closed) return
    checking = true
    Promise.all(replicas.map(check)).finally(() => {
      checking = false
    })
  }

  const schedule = () => {
    const wanted = replicas.length > 1 && !closed
    if (wanted && !timer) {
      timer = setInterval(checkAll, checkIntervalMs)
      timer.unref()
    } else if (!wanted && timer) {
      clearInterval(timer)
      timer = undefined
    }
  }

  const update = (urls: readonly string[]) => {
    if (closed || urls.length === 0) return
    const kept = new Map(replicas.map((r) => [r.url, r]))
    const changed = urls.length !== replicas.length || urls.some((url, i) => replicas[i]?.url !== url)
    if (!changed) return
    replicas = urls.map((url) => kept.get(url) ?? open(url))
    for (const [url, replica] of kept) {
      // Requests under way on a removed replica finish; close() waits for them.
      if (!urls.includes(url)) replica.pool.close().catch(() => undefined)
    }
    log.info({ upstream: name, replicas: urls }, 'replicas changed')
    schedule()
  }

  const readFileList = async (file: string) => {
    try {
      const listed = (JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>)[name]
      if (listed === undefined) return
      if (!Array.isArray(listed) || !listed.every((u) => typeof u === 'string' && URL.canParse(u)))
        throw new Error(`"${name}" is not a list of URLs`)
      update(listed as string[])
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return
      log.warn({ upstream: name, file, err: error }, 'replicas file unreadable; keeping the replicas known')
    }
  }

  replicas = options.urls.map(open)
  schedule()
  const file = options.replicasFile
  const onFileChange = () => {
    void readFileList(file as string)
  }
  if (file) {
    watchFile(file, { interval: options.fileIntervalMs ?? 200, persistent: false }, onFileChange)
    onFileChange()
  }

  return {
    async request(request, retryIfReached = false) {
      const retry = replayable(request.body)
      let tried: Set<Replica> | undefined
      for (;;) {
        const replica = choose(tried)
        if (!replica) throw new Error(`no replica of ${name} left to try`)
        try {
          return await replica.pool.request(request)
        } catch (error) {
          const reached = !neverReached(error)
          if (reached && !BROKEN.has(codeOf(error))) throw error
          markReady(replica, false, `request failed: ${describe(error)}`)
          const again =
            retry && (!reached || retryIfReached) && !(request.signal as AbortSignal | undefined)?.aborted
          tried ??= new Set()
          tried.add(replica)
          if (!again || tried.size >= replicas.length) throw error
          log.info(
            { upstream: name, replica: replica.url, code: codeOf(error) },
            'request sent again to another replica',
          )
        }
      }
    },
    pick: () => (choose(undefined) ?? (replicas[0] as Replica)).url,
    replicas: () => replicas.map(({ url, ready, detail }) => ({ url, ready, detail })),
    update,
    async close() {
      closed = true
      schedule()
      if (file) unwatchFile(file, onFileChange)
      await Promise.all(replicas.map((r) => r.pool.close()))
    },
  }
}
