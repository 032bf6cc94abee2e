import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/** Who a session belongs to: the phone that proved itself with a code, and the session's id. */
export interface Session {
  readonly phoneNumber: string
  readonly sessionId: string
  readonly expiresAt: Date
}

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64url')

/**
 * A customer's session as a token every service can check on its own, with the shared
 * `AUTH_SECRET`: no call to another service on the request path. It is the payload and its
 * HMAC-SHA256, both base64url; the payload names the phone, the session and the expiry.
 */
export function signSession(secret: Buffer, session: Session): string {
  const payload = b64(
    JSON.stringify({ p: session.phoneNumber, s: session.sessionId, e: session.expiresAt.getTime() }),
  )
  return `${payload}.${b64(mac(secret, payload))}`
}

/** The session a token names, if its signature is right and it has not expired. */
export function verifySession(secret: Buffer, token: string, now: Date): Session | undefined {
  if (token.length > 512) return undefined
  const dot = token.indexOf('.')
  if (dot <= 0) return undefined
  const payload = token.slice(0, dot)
  const given = Buffer.from(token.slice(dot + 1), 'base64url')
  const expected = mac(secret, payload)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
  let claims: unknown
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
  const { p, s, e } = (claims ?? {}) as Record<string, unknown>
  if (typeof p !== 'string' || typeof s !== 'string' || typeof e !== 'number') return undefined
  if (e <= now.getTime()) return undefined
  return { phoneNumber: p, sessionId: s, expiresAt: new Date(e) }
}

/** A keyed hash (codes, session ids at rest): without the secret a stolen table reveals nothing. */
export function keyedHash(secret: Buffer, purpose: string, text: string): string {
  return createHmac('sha256', secret).update(`${purpose}\0${text}`).digest('base64url')
}

export const newSecret = () => randomBytes(32).toString('base64url')

const mac = (secret: Buffer, payload: string) =>
  createHmac('sha256', secret).update(`session.${payload}`).digest()
