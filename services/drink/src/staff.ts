import { createHash, timingSafeEqual } from 'node:crypto'
import { clientAddress, failureLimit, HttpProblem, type HttpRequest, type Logger } from '@cafeteria/platform'

export type StaffRequest = Pick<HttpRequest, 'headers' | 'ip'>

export interface StaffCheck {
  /**
   * What a request may do: `tokenRequired` says whether the routes take a token at all (not in
   * open mode without one). Throws 429 after too many wrong tokens from the request's address.
   */
  access(request: StaffRequest): { readonly tokenRequired: boolean; readonly granted: boolean }
  /** The hook in front of the barista's routes: 401 (or 429) problem+json unless access is granted. */
  only(request: StaffRequest): Promise<void>
}

const digest = (text: string) => createHash('sha256').update(text).digest()

/**
 * The barista's routes: a request must carry the staff token as `Authorization: Bearer <token>`
 * (compared in constant time). Without a token configured they refuse everyone, except in open
 * mode, where anyone may act as the barista, as in the original. Wrong tokens are counted per
 * client address: past the limit every check from that address, the access question included,
 * answers 429 until its minute is over, so that neither the routes nor the question tell a
 * guesser anything more.
 */
export function staffCheck(options: {
  readonly token: string | undefined
  readonly open: boolean
  readonly failuresPerMinute: number
  readonly log: Logger
  readonly now?: () => number
}): StaffCheck {
  const { token, open, log } = options
  if (token === undefined) {
    log.warn(
      open
        ? 'open mode without STAFF_TOKEN: the barista endpoints (the tickets, PATCH /drinks/{id}, the board) are open to anyone'
        : 'STAFF_TOKEN is not set: the barista endpoints refuse every request',
    )
  }
  const expected = token === undefined ? undefined : digest(token)
  const limit = failureLimit({
    max: options.failuresPerMinute,
    windowMs: 60_000,
    type: 'staff-token-attempts',
    detail: 'Too many wrong staff tokens from this address: try again later.',
    ...(options.now && { now: options.now }),
  })
  const given = (request: StaffRequest) => {
    const header = request.headers.authorization ?? ''
    return header.startsWith('Bearer ') ? header.slice(7).trim() : undefined
  }
  const access = (request: StaffRequest) => {
    if (open && !expected) return { tokenRequired: false, granted: true }
    const client = clientAddress(request)
    limit.check(client)
    const presented = given(request)
    // No token is no guess: only a wrong one counts.
    if (presented === undefined) return { tokenRequired: true, granted: false }
    const granted = expected !== undefined && timingSafeEqual(digest(presented), expected)
    if (!granted && limit.failed(client)) {
      log.warn({ client }, 'too many wrong staff tokens: this address is refused for a minute')
    }
    return { tokenRequired: true, granted }
  }
  return {
    access,
    async only(request) {
      if (access(request).granted) return
      throw new HttpProblem(
        401,
        'staff-only',
        given(request) === undefined
          ? 'This is for the barista: a staff token is needed.'
          : 'The staff token is wrong.',
        { headers: { 'www-authenticate': 'Bearer realm="staff"' } },
      )
    },
  }
}
