import { createParser } from 'eventsource-parser'

/** One Server-Sent Event as a client sees it. */
export interface ServerEvent {
  readonly id: string | undefined
  readonly event: string
  readonly data: any
}

export interface EventStream {
  readonly status: number
  readonly headers: Headers
  /** The next event that satisfies `match` (events before it are passed over). */
  next(match?: (event: ServerEvent) => boolean, timeoutMs?: number): Promise<ServerEvent>
  /** Events received and not yet taken by `next`. */
  readonly received: readonly ServerEvent[]
  /** Comment lines (heartbeats) received so far. */
  heartbeats(): number
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>
  close(): void
}

/** Opens an event stream with fetch and parses it as a browser would (RFC: WHATWG SSE). */
export async function openEvents(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const abort = new AbortController()
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  })
  const received: ServerEvent[] = []
  const waiters = new Set<() => void>()
  let comments = 0
  let done = false
  const wake = () => {
    for (const w of waiters) w()
  }
  const parser = createParser({
    onEvent: ({ id, event, data }) => {
      received.push({ id, event: event ?? 'message', data: JSON.parse(data) })
      wake()
    },
    onComment: () => {
      comments++
    },
  })
  const ended = (async () => {
    if (!response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) return
    const decoder = new TextDecoder()
    try {
      for await (const chunk of response.body)
        parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }))
    } catch {
      // aborted by close()
    } finally {
      done = true
      wake()
    }
  })()
  return {
    status: response.status,
    headers: response.headers,
    received,
    heartbeats: () => comments,
    ended,
    close: () => abort.abort(),
    async next(match = () => true, timeoutMs = 5000) {
      let seen = 0
      const deadline = Date.now() + timeoutMs
      for (;;) {
        for (; seen < received.length; seen++) {
          const candidate = received[seen] as ServerEvent
          if (match(candidate)) {
            received.splice(0, seen + 1)
            return candidate
          }
        }
        if (done) throw new Error('the stream ended before the expected event')
        const left = deadline - Date.now()
        if (left <= 0) {
          const last = received.at(-1)
          throw new Error(`no matching event within ${timeoutMs} ms; last: ${JSON.stringify(last?.data)}`)
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left)
          const waiter = () => {
            clearTimeout(timer)
            waiters.delete(waiter)
            resolve()
          }
          waiters.add(waiter)
        })
      }
    },
  }
}
