import type { ConfigReader } from '../config.ts'

// Apart from access.ts: a local run reads these before it loads the rest of the platform.

/**
 * The shortest staff token accepted. The generated ones are 43 characters; a person's choice must
 * still be far beyond guessing at the rate failed checks are allowed.
 */
export const STAFF_TOKEN_MIN_LENGTH = 24

/** The barista's token, `STAFF_TOKEN` (or the file `STAFF_TOKEN_FILE` names); a short one stops the start. */
export function staffTokenSetting(read: ConfigReader): string | undefined {
  const token = read.optional('STAFF_TOKEN')
  if (token !== undefined && token.length < STAFF_TOKEN_MIN_LENGTH) {
    read.refuse(`STAFF_TOKEN: must be at least ${STAFF_TOKEN_MIN_LENGTH} characters`)
  }
  return token
}

/**
 * A service with staff routes run on its own (`cafe serve`, a pod) has no data directory to make
 * and keep a token in, as a local run does: it refuses to start without one, open mode aside.
 */
export function requireStaffToken(read: ConfigReader): void {
  if (staffTokenSetting(read) === undefined && !read.bool('OPEN_API', false)) {
    read.refuse(
      'STAFF_TOKEN (or STAFF_TOKEN_FILE) is required: without it the barista’s routes refuse everyone',
    )
  }
}
