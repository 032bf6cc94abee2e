import { createHash, timingSafeEqual } from 'node:crypto'
import { HttpProblem, type Logger } from '@cafeteria/platform'

export interface StaffRequest {
  readonly headers: { readonly authorization?: string | undefined }
}

const digest = (text: string) => createHash('sha256').update(text).digest()

/**
 * The check in front of the barista's routes: with a staff token configured, a request must
 * carry it as `Authorization: Bearer <token>` (compared in constant time); without one, anyone
 * may act as the barista, which the log says once at start-up.
 */
export function staffOnly(token: string | undefined, log: Logger) {
  if (token === undefined) {
    log.warn(
      'STAFF_TOKEN is not set: the barista endpoints (PATCH /drinks/{id}, the board) are open to anyone',
    )
    return async (_request: StaffRequest) => {}
  }
  const expected = digest(token)
  return async (request: StaffRequest) => {
    const header = request.headers.authorization ?? ''
    const given = header.startsWith('Bearer ') ? header.slice(7).trim() : undefined
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      throw new HttpProblem(
        401,
        'staff-only',
        given === undefined
          ? 'This is for the barista: a staff token is needed.'
          : 'The staff token is wrong.',
        { headers: { 'www-authenticate': 'Bearer realm="staff"' } },
      )
    }
  }
}
