import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Env } from '@cafeteria/platform/config'

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

/** The environment with `AUTH_SECRET` filled in from the data directory when it names none. */
export function withLocalSecrets(env: Env, dataDir: string | undefined): Env {
  if (env.AUTH_SECRET || env.AUTH_SECRET_FILE) return env
  return { ...env, AUTH_SECRET: keptSecret(dataDir, 'auth-secret') }
}
