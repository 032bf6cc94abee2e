import { createHash, timingSafeEqual } from 'node:crypto'
import { HttpProblem, type Logger } from '@cafeteria/platform'

export interface StaffRequest {
  readonly headers: { readonly authorization?: string | undefined }
}

export interface StaffCheck {
  /** What a request may do: `required` says whether a token is configured at all. */
  access(request: StaffRequest): { readonly tokenRequired: boolean; readonly granted: boolean }
  /** The hook in front of the barista's routes: 401 problem+json unless access is granted. */
  only(request: StaffRequest): Promise<void>
}

const digest = (text: string) => createHash('sha256').update(text).digest()

/**
 * The barista's routes: with a staff token configured, a request must carry it as
 * `Authorization: Bearer <token>` (compared in constant time); without one, anyone may act as
 * the barista, which the log says once at start-up.
 */
export function staffCheck(token: string | undefined, log: Logger): StaffCheck {
  if (token === undefined) {
    log.warn(
      'STAFF_TOKEN is not set: the barista endpoints (PATCH /drinks/{id}, the board) are open to anyone',
    )
  }
  const expected = token === undefined ? undefined : digest(token)
  const given = (request: StaffRequest) => {
    const header = request.headers.authorization ?? ''
    return header.startsWith('Bearer ') ? header.slice(7).trim() : undefined
  }
  const access = (request: StaffRequest) => {
    if (!expected) return { tokenRequired: false, granted: true }
    const presented = given(request)
    return {
      tokenRequired: true,
      granted: presented !== undefined && timingSafeEqual(digest(presented), expected),
    }
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
