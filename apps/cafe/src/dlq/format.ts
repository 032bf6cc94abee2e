import type { DeadLetter, OutboxLetter } from '@cafeteria/platform'

/** A consumer's dead letter, or an outbox letter: an event its bus refused to take. */
export type ListedLetter =
  | { readonly service: string; readonly letter: DeadLetter }
  | { readonly service: string; readonly outbox: OutboxLetter }

const ERROR_HEAD = 60
/** Width of the field names in `show`. */
const LABEL = 11

/**
 * One line per letter, columns aligned; the error's first line, cut short. An outbox letter's id
 * reads `outbox:<id>`, as the other commands take it.
 */
export function formatList(letters: readonly ListedLetter[]): string {
  if (letters.length === 0) return 'no dead letters\n'
  const header = ['service', 'id', 'type', 'orderId', 'attempts', 'failed at', 'replay', 'error']
  const rows = letters.map((listed) => {
    const letter = 'outbox' in listed ? listed.outbox : listed.letter
    return [
      listed.service,
      'outbox' in listed ? `outbox:${letter.id}` : String(letter.id),
      letter.type,
      orderIdOf(letter.payload),
      String(letter.attempts),
      letter.failedAt,
      'letter' in listed && listed.letter.replayRequestedAt ? 'pending' : '',
      head(letter.error),
    ]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)))
  const line = (cells: readonly string[]) =>
    `${cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd()}\n`
  return [header, ...rows].map(line).join('')
}

/** Everything about an outbox letter, the payload as indented JSON. */
export function formatOutboxLetter(service: string, letter: OutboxLetter): string {
  const fields: Array<[string, string]> = [
    ['stage', 'publish: the bus refused it; never published'],
    ['event id', letter.eventId],
    ['type', letter.type],
    ['order id', orderIdOf(letter.payload)],
    ['attempts', String(letter.attempts)],
    ['created at', letter.createdAt],
    ['failed at', letter.failedAt],
    ['error', letter.error.replaceAll('\n', `\n${' '.repeat(LABEL + 2)}`)],
  ]
  if (letter.headers) fields.push(['headers', letter.headers])
  const body = fields.map(([name, value]) => `  ${name.padEnd(LABEL)}${value}\n`).join('')
  return `${service}:outbox:${letter.id}\n${body}payload:\n${pretty(letter.payload)}\n`
}

/** Everything about one letter, the payload as indented JSON. */
export function formatLetter(service: string, letter: DeadLetter): string {
  const fields: Array<[string, string]> = [
    ['consumer', letter.consumer],
    ['event id', letter.eventId],
    ['type', letter.type],
    ['order id', orderIdOf(letter.payload)],
    ['attempts', String(letter.attempts)],
    ['failed at', letter.failedAt],
    ['replay', letter.replayRequestedAt ? `requested at ${letter.replayRequestedAt}` : 'not requested'],
    ['error', letter.error.replaceAll('\n', `\n${' '.repeat(LABEL + 2)}`)],
  ]
  if (letter.headers) fields.push(['headers', letter.headers])
  const body = fields.map(([name, value]) => `  ${name.padEnd(LABEL)}${value}\n`).join('')
  return `${service}:${letter.id}\n${body}payload:\n${pretty(letter.payload)}\n`
}

function orderIdOf(payload: string): string {
  const orderId = parsed(payload)?.orderId
  return typeof orderId === 'number' || typeof orderId === 'string' ? String(orderId) : '-'
}

function head(error: string): string {
  const first = error.split('\n', 1)[0] ?? ''
  return first.length > ERROR_HEAD ? `${first.slice(0, ERROR_HEAD - 1)}…` : first
}

function pretty(payload: string): string {
  const value = parsed(payload)
  // An invalid event may not even be JSON: show it as it came.
  return value === undefined ? payload : JSON.stringify(value, null, 2)
}

function parsed(payload: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(payload)
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
