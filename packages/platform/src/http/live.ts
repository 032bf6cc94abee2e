import { createHash } from 'node:crypto'
import { PassThrough } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ConfigReader } from '../config.ts'
import type { Logger } from '../logger.ts'
import { HttpProblem } from './problem.ts'

export interface LiveSettings {
  /**
   * While anyone listens, how often each watched view is read again (`LIVE_WATCH_MS`; 0: never).
   * A replica hears at once of the changes it commits itself; this is how it learns of those
   * another replica committed (replicas share one durable consumer, so each sees only its share).
   */
  readonly watchMs: number
  /** A comment line this often keeps idle connections open through proxies (`LIVE_HEARTBEAT_MS`). */
  readonly heartbeatMs: number
}

export const liveSettings = (read: ConfigReader): LiveSettings => ({
  watchMs: read.int('LIVE_WATCH_MS', 1000, { max: 600_000 }),
  heartbeatMs: read.int('LIVE_HEARTBEAT_MS', 15_000, { min: 100, max: 600_000 }),
})

export interface LiveFeedOptions<T> {
  /** The name of the Server-Sent Event that carries the view. */
  readonly event: string
  /** Reads the current view of `key` (a phone number, or '' for a view everyone shares). */
  readonly read: (key: string) => Promise<T>
  readonly settings: LiveSettings
  readonly log: Logger
  /** Listeners one feed serves at most; past that a new one gets 503. */
  readonly maxListeners?: number
}

/**
 * Views pushed to browsers as Server-Sent Events. Each event is the whole view (a snapshot, small
 * by construction) with an id derived from its content: a client that reconnects with the id of
 * what it already shows (`Last-Event-ID`) gets nothing until the view changes, any other gets the
 * current view at once. Nothing is read while nobody listens.
 */
export interface LiveFeed {
  /** The view of `key`, or of every key when omitted, may have changed: call after commit. */
  changed(key?: string): void
  /** Answers `request` with the event stream of `key`'s view (from a handler that returns nothing). */
  serve(request: FastifyRequest, reply: FastifyReply, key: string): void
  listeners(): number
  /** Ends every stream (on shutdown: clients reconnect, to another replica). */
  close(): void
}

interface Listener {
  readonly stream: PassThrough
  sentId: string | undefined
}

interface Topic {
  readonly listeners: Set<Listener>
  json?: string
  id?: string
  reading: boolean
  again: boolean
}

/** Past this much unsent output a client is not reading: it is dropped (it reconnects). */
const MAX_BACKLOG_BYTES = 1 << 20

export function createLiveFeed<T>(options: LiveFeedOptions<T>): LiveFeed {
  const { event, read, settings, log } = options
  const maxListeners = options.maxListeners ?? 1000
  const topics = new Map<string, Topic>()
  let count = 0
  let heartbeat: NodeJS.Timeout | undefined
  let watch: NodeJS.Timeout | undefined
  let closed = false

  const write = (listener: Listener, text: string) => {
    if (listener.stream.writableLength > MAX_BACKLOG_BYTES) listener.stream.destroy()
    else listener.stream.write(text)
  }

  const sendView = (topic: Topic, listener: Listener) => {
    if (topic.id === undefined || listener.sentId === topic.id) return
    listener.sentId = topic.id
    write(listener, `id: ${topic.id}\nevent: ${event}\ndata: ${topic.json}\n\n`)
  }

  async function refresh(key: string): Promise<void> {
    const topic = topics.get(key)
    if (!topic) return
    if (topic.reading) {
      topic.again = true
      return
    }
    topic.reading = true
    try {
      do {
        topic.again = false
        const json = JSON.stringify(await read(key))
        if (json !== topic.json) {
          topic.json = json
          topic.id = createHash('sha256').update(json).digest('base64url').slice(0, 22)
        }
        for (const listener of topic.listeners) sendView(topic, listener)
      } while (topic.again)
    } catch (error) {
      log.warn({ err: error, event }, 'live view could not be read; will try again')
    } finally {
      topic.reading = false
    }
  }

  const refreshAll = () => {
    for (const key of topics.keys()) void refresh(key)
  }

  const timers = () => {
    if (count > 0 && !heartbeat) {
      heartbeat = setInterval(() => {
        for (const topic of topics.values()) for (const listener of topic.listeners) write(listener, ':\n\n')
      }, settings.heartbeatMs).unref()
      if (settings.watchMs > 0) watch = setInterval(refreshAll, settings.watchMs).unref()
    } else if (count === 0 && heartbeat) {
      clearInterval(heartbeat)
      clearInterval(watch)
      heartbeat = watch = undefined
    }
  }

  return {
    changed(key) {
      if (key === undefined) refreshAll()
      else void refresh(key)
    },
    serve(request, reply, key) {
      if (closed || count >= maxListeners) {
        throw new HttpProblem(503, 'too-many-listeners', 'Live updates are busy; try again shortly.', {
          headers: { 'retry-after': '5' },
        })
      }
      const lastId = request.headers['last-event-id']
      const listener: Listener = {
        stream: new PassThrough(),
        sentId: typeof lastId === 'string' ? lastId : undefined,
      }
      let topic = topics.get(key)
      if (!topic) {
        topic = { listeners: new Set(), reading: false, again: false }
        topics.set(key, topic)
      }
      const joined = topic
      joined.listeners.add(listener)
      count++
      timers()
      listener.stream.once('close', () => {
        joined.listeners.delete(listener)
        count--
        if (joined.listeners.size === 0 && topics.get(key) === joined) topics.delete(key)
        timers()
      })
      // A reconnecting client retries after 2 s; the view follows at once, or when it is read.
      listener.stream.write('retry: 2000\n\n')
      sendView(joined, listener)
      void refresh(key)
      reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no')
        .send(listener.stream)
    },
    listeners: () => count,
    close() {
      closed = true
      for (const topic of topics.values()) for (const listener of topic.listeners) listener.stream.end()
    },
  }
}
