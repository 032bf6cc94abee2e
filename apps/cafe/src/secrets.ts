import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { configReader, type Env } from '@cafeteria/platform/config'
import { staffTokenSetting } from '@cafeteria/platform/staff-token'

/**
 * A secret a local run makes for itself when the environment gives none: kept in the data
 * directory (readable by its owner only), so sessions outlive a restart; in memory, new each run.
 * Kubernetes and `cafe serve` never come here: they take it from a Secret or refuse to start.
 */
export function keptSecret(dataDir: string | undefined, file: string): string {
  const fresh = randomBytes(32).toString('base64url')
  if (!dataDir) return fresh
  const path = join(dataDir, file)
  try {
    return readFileSync(path, 'utf8').trim()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  // `wx`: two starts racing keep the one written first.
  try {
    writeFileSync(path, `${fresh}\n`, { mode: 0o600, flag: 'wx' })
    return fresh
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    return readFileSync(path, 'utf8').trim()
  }
}

/** A staff token a local run made (or found where it keeps them), to be shown at start. */
export interface KeptToken {
  readonly token: string
  /** Where it is kept; undefined in memory, where a run makes a new one. */
  readonly file: string | undefined
}

export interface LocalSecrets {
  readonly env: Env
  /** Undefined when the environment gives one, and in open mode, which takes none of its own. */
  readonly staffToken: KeptToken | undefined
}

/** The file in the data directory; `STAFF_TOKEN_FILE` is the setting that names one of your own. */
const KEPT_STAFF_TOKEN = 'staff-token'

/**
 * The environment with what the environment does not name filled in from the data directory:
 * `AUTH_SECRET`, and, outside open mode, `STAFF_TOKEN`, so the barista's routes are locked from
 * the first start with a token the banner shows. A bad `OPEN_API` or a short `STAFF_TOKEN` stops
 * here, before anything starts.
 */
export function withLocalSecrets(env: Env, dataDir: string | undefined): LocalSecrets {
  const read = configReader(env)
  const open = read.bool('OPEN_API', false)
  const given = staffTokenSetting(read)
  read.done()
  const filled: Record<string, string | undefined> = { ...env }
  if (!env.AUTH_SECRET && !env.AUTH_SECRET_FILE) filled.AUTH_SECRET = keptSecret(dataDir, 'auth-secret')
  // Open mode keeps the original's open barista routes unless a token is given.
  if (open || given !== undefined) return { env: filled, staffToken: undefined }
  const token = keptSecret(dataDir, KEPT_STAFF_TOKEN)
  filled.STAFF_TOKEN = token
  return { env: filled, staffToken: { token, file: dataDir && join(dataDir, KEPT_STAFF_TOKEN) } }
}
