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
  let buffer = ''
  let retryMs: number | undefined
  return {
    push(text: string): ServerEvent[] {
      buffer += text.replaceAll('\r\n', '\n')
      const events: ServerEvent[] = []
      let end = buffer.indexOf('\n\n')
      while (end >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        end = buffer.indexOf('\n\n')
        let id: string | undefined
        let event = 'message'
        const data: string[] = []
        for (const line of block.split('\n')) {
          if (line === '' || line.startsWith(':')) continue
          const colon = line.indexOf(':')
          const field = colon < 0 ? line : line.slice(0, colon)
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
          if (field === 'data') data.push(value)
          else if (field === 'event') event = value
          else if (field === 'id') id = value
          else if (field === 'retry' && /^\d+$/.test(value)) retryMs = Number(value)
        }
        if (data.length > 0) events.push({ id, event, data: data.join('\n') })
      }
      return events
    },
    retryMs: () => retryMs,
  }
}

/** Waits between reconnects: the server's `retry`, doubling on each failure in a row, capped. */
export const reconnectDelay = (failures: number, retryMs = 2000, maxMs = 30_000): number =>
  Math.min(maxMs, retryMs * 2 ** Math.max(0, failures - 1))
