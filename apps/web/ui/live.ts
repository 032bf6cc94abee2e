import { eventParser, reconnectDelay } from './sse.ts'

export type LiveState = 'connecting' | 'live' | 'unauthorized' | 'rejected'

export interface LiveOptions {
  readonly headers?: Record<string, string>
  /** Handlers by event name; each gets the parsed JSON of the event's data. */
  readonly on: Record<string, (data: any) => void>
  readonly state: (state: LiveState, detail?: string) => void
}

/**
 * Follows a Server-Sent Event stream. Read with fetch rather than EventSource so that the
 * barista's stream can carry the staff token as a header and a refusal (401, 400) is told apart
 * from a broken connection. A dropped stream is opened again after the server's `retry`, longer
 * after each failure in a row (a 429, too many streams open at once, no sooner than its
 * `Retry-After`), with the id of the last view shown (`Last-Event-ID`): the server
 * then sends only what changed meanwhile. Returns the function that stops following.
 */
export function follow(url: string, options: LiveOptions): () => void {
  const abort = new AbortController()
  let lastId: string | undefined
  let failures = 0
  let timer: ReturnType<typeof setTimeout> | undefined

  async function connect(): Promise<void> {
    options.state('connecting')
    const parser = eventParser()
    let waitMs = 0
    try {
      const response = await fetch(url, {
        headers: {
          accept: 'text/event-stream',
          ...options.headers,
          ...(lastId === undefined ? {} : { 'last-event-id': lastId }),
        },
        cache: 'no-store',
        signal: abort.signal,
      })
      if (response.status === 401) return options.state('unauthorized')
      // Too many streams open at once (other pages of this customer): one may close meanwhile.
      if (response.status === 429) {
        await response.body?.cancel()
        waitMs = 1000 * (Number(response.headers.get('retry-after')) || 5)
        throw new Error('status 429')
      }
      if (response.status >= 400 && response.status < 500) {
        const problem = await response.json().catch(() => ({}))
        return options.state('rejected', problem.detail ?? String(response.status))
      }
      if (!response.ok || !response.body) throw new Error(`status ${response.status}`)
      failures = 0
      options.state('live')
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        for (const event of parser.push(value)) {
          if (event.id !== undefined) lastId = event.id
          options.on[event.event]?.(JSON.parse(event.data))
        }
      }
    } catch {
      if (abort.signal.aborted) return
      failures++
    }
    if (abort.signal.aborted) return
    options.state('connecting')
    timer = setTimeout(connect, Math.max(waitMs, reconnectDelay(failures, parser.retryMs())))
  }

  void connect()
  return () => {
    abort.abort()
    clearTimeout(timer)
  }
}
