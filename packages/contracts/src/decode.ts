import { Compile } from 'typebox/compile'
import { type DomainEvent, type EventType, eventSchemas } from './events.ts'

const validators = Object.fromEntries(
  Object.entries(eventSchemas).map(([type, schema]) => [type, Compile(schema)]),
) as { [K in EventType]: ReturnType<typeof Compile> }

export type Decoded = { ok: true; event: DomainEvent } | { ok: false; reason: string }

export const isEventType = (type: string): type is EventType => Object.hasOwn(eventSchemas, type)

/** Parses and validates one event as it comes off the wire; never throws. */
export function decodeEvent(payload: string): Decoded {
  let value: unknown
  try {
    value = JSON.parse(payload)
  } catch {
    return { ok: false, reason: 'payload is not JSON' }
  }
  const type = (value as { type?: unknown } | null)?.type
  if (typeof type !== 'string' || !isEventType(type)) {
    return { ok: false, reason: `unknown event type ${JSON.stringify(type)}` }
  }
  const validator = validators[type]
  if (validator.Check(value)) return { ok: true, event: value as DomainEvent }
  const reason = [...validator.Errors(value)]
    .slice(0, 5)
    .map((e) => `${e.instancePath || '/'} ${e.message}`)
    .join('; ')
  return { ok: false, reason: `${type} failed validation: ${reason}` }
}
