import { createParser } from 'eventsource-parser'

/** One Server-Sent Event's name and data (ids and retry hints do not matter to the bench). */
export interface ServerEvent {
  readonly event: string
  readonly data: string
}

/**
 * A reader of one event stream, fed its text as it arrives: it returns the events each piece
 * completes and keeps what is left of an event still arriving.
 */
export function eventReader(): (text: string) => ServerEvent[] {
  let events: ServerEvent[] = []
  const parser = createParser({
    onEvent: ({ event, data }) => events.push({ event: event ?? 'message', data }),
  })
  return (text) => {
    parser.feed(text)
    const complete = events
    events = []
    return complete
  }
}

export interface EventSubscription {
  close(): void
  /** Resolves when the stream ends (closed, or the server went away). */
  readonly ended: Promise<void>
}

/**
 * Opens `url` as an event stream and calls `onEvent` with each event and the moment its last
 * byte arrived (performance.now()), taken before anything is parsed.
 */
export async function subscribe(
  url: string,
  onEvent: (event: ServerEvent, receivedAt: number) => void,
): Promise<EventSubscription> {
  const abort = new AbortController()
  const response = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: abort.signal })
  if (!response.ok || !response.body) {
    await response.body?.cancel()
    throw new Error(`${url} answered ${response.status}, not an event stream`)
  }
  const body = response.body
  const ended = (async () => {
    const decoder = new TextDecoder()
    const read = eventReader()
    try {
      for await (const chunk of body) {
        const receivedAt = performance.now()
        for (const event of read(decoder.decode(chunk as Uint8Array, { stream: true })))
          onEvent(event, receivedAt)
      }
    } catch {
      // Aborted by close(), or the connection dropped: either way the stream is over.
    }
  })()
  return { close: () => abort.abort(), ended }
}
