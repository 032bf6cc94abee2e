import { createParser } from 'eventsource-parser'

/** One Server-Sent Event (WHATWG HTML §9.2), as far as this app uses them. */
export interface ServerEvent {
  readonly id: string | undefined
  readonly event: string
  readonly data: string
}

/**
 * An incremental parser of an event stream: feed it text as it arrives, it hands back the
 * complete events and remembers the rest. Comment lines (heartbeats) and unknown fields are
 * ignored; `retry` is reported so the client can follow the server's reconnection delay.
 */
export function eventParser() {
  let retryMs: number | undefined
  let events: ServerEvent[] = []
  const parser = createParser({
    onEvent: ({ id, event, data }) => events.push({ id, event: event ?? 'message', data }),
    onRetry: (ms) => {
      retryMs = ms
    },
  })
  return {
    push(text: string): ServerEvent[] {
      parser.feed(text)
      const complete = events
      events = []
      return complete
    },
    retryMs: () => retryMs,
  }
}

/** Waits between reconnects: the server's `retry`, doubling on each failure in a row, capped. */
export const reconnectDelay = (failures: number, retryMs = 2000, maxMs = 30_000): number =>
  Math.min(maxMs, retryMs * 2 ** Math.max(0, failures - 1))
