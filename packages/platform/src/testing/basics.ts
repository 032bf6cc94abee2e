import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/** Small helpers shared by the test suites; nothing here is used at runtime. */

export { sleep }

/** What a truthiness test lets through. */
export type Truthy<T> = Exclude<T, false | 0 | 0n | '' | null | undefined>

export interface WaitOptions {
  /** How often to ask again. */
  readonly intervalMs?: number
  /** Named in the timeout error, e.g. 'all effects'. */
  readonly what?: string
}

/**
 * Polls `probe` until it returns a truthy value and resolves with that value. A probe that throws
 * counts as "not yet"; the last error is attached to the timeout error as its cause.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  timeoutMs = 5_000,
  { intervalMs = 10, what = 'condition' }: WaitOptions = {},
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value) return value as Truthy<T>
      lastError = undefined
    } catch (error) {
      lastError = error
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError })
    }
    await sleep(intervalMs)
  }
}

/** A name that no other test run uses, safe as a database, stream or consumer name: `<prefix><12 hex>`. */
export const uniqueName = (prefix = 'cafe_t_'): string => `${prefix}${randomBytes(6).toString('hex')}`

export interface TempDir extends AsyncDisposable {
  readonly path: string
  remove(): Promise<void>
}

/** A fresh directory under the OS temp dir; `remove()` (or `await using`) deletes it and its contents. */
export async function tempDir(prefix = 'cafe-test-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  const remove = () => rm(path, { recursive: true, force: true })
  return { path, remove, [Symbol.asyncDispose]: remove }
}
