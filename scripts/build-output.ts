import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { rename, rm, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * What the two bundles (the web UI's, apps/web/build.ts, and the server's `npm start` runs,
 * apps/cafe/build.ts) share: a fingerprint of what a bundle is made from, kept beside it in
 * `build.json`, and an output directory that is replaced whole.
 */

/**
 * A hash of the files (named relative to `base`, so that it is the same in every checkout), of
 * this helper, and of any other `inputs` (such as package versions).
 */
export function fingerprintOf(
  base: string,
  files: readonly string[],
  inputs: readonly string[] = [],
): string {
  const hash = createHash('sha256')
  for (const file of [...files, fileURLToPath(import.meta.url)]) {
    hash.update(relative(base, file)).update('\0').update(readFileSync(file)).update('\0')
  }
  for (const input of inputs) hash.update(input)
  return hash.digest('hex').slice(0, 16)
}

/** The fingerprint of the bundle in `dist`, if one was built there. */
export function builtFingerprint(dist: string): string | undefined {
  try {
    return JSON.parse(readFileSync(join(dist, 'build.json'), 'utf8')).fingerprint
  } catch {
    return undefined
  }
}

/**
 * Runs `build` into a fresh directory beside `dist`, records the fingerprint (and what `build`
 * returns) in its `build.json`, then swaps it in whole: a server never sees half a build.
 */
export async function replaceBuild<T extends object>(
  dist: string,
  fingerprint: string,
  build: (out: string) => Promise<T>,
): Promise<T> {
  const out = `${dist}-${randomBytes(4).toString('hex')}`
  try {
    const made = await build(out)
    await writeFile(join(out, 'build.json'), `${JSON.stringify({ fingerprint, ...made }, null, 2)}\n`)
    const old = `${dist}-old-${randomBytes(4).toString('hex')}`
    if (existsSync(dist)) await rename(dist, old)
    await rename(out, dist)
    await rm(old, { recursive: true, force: true })
    return made
  } finally {
    await rm(out, { recursive: true, force: true })
  }
}
