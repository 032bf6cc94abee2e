/** One Server-Sent Event's name and data (ids and retry hints do not matter to the bench). */
export interface ServerEvent {
  readonly event: string
  readonly data: string
}

/** The complete events at the start of `buffer`, and what is left of an event still arriving. */
export function parseEvents(buffer: string): { events: ServerEvent[]; rest: string } {
  const events: ServerEvent[] = []
  const blocks = buffer.replaceAll('\r\n', '\n').split('\n\n')
  const rest = blocks.pop() ?? ''
  for (const block of blocks) {
    let event = 'message'
    const data: string[] = []
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim()
      else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5))
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') })
  }
  return { events, rest }
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
    let buffer = ''
    try {
      for await (const chunk of body) {
        const receivedAt = performance.now()
        const parsed = parseEvents(buffer + decoder.decode(chunk as Uint8Array, { stream: true }))
        buffer = parsed.rest
        for (const event of parsed.events) onEvent(event, receivedAt)
      }
    } catch {
      // Aborted by close(), or the connection dropped: either way the stream is over.
    }
  })()
  return { close: () => abort.abort(), ended }
}
