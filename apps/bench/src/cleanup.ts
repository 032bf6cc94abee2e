import { note } from './progress.ts'

const pending = new Set<() => Promise<unknown>>()

/** Ctrl-C must not leave a system, its temp dir, databases or stream behind. */
async function interrupted(signal: NodeJS.Signals): Promise<void> {
  note(`${signal}: stopping what the bench started and cleaning up`)
  await Promise.allSettled([...pending].map((cleanUp) => cleanUp()))
  process.exit(130)
}

/**
 * Runs `work`, with `cleanUp` run instead on SIGINT or SIGTERM meanwhile. The caller still cleans
 * up on its own way out (success or failure); this covers only the signal.
 */
export async function guarded<T>(cleanUp: () => Promise<unknown>, work: () => Promise<T>): Promise<T> {
  if (pending.size === 0) {
    process.once('SIGINT', interrupted)
    process.once('SIGTERM', interrupted)
  }
  pending.add(cleanUp)
  try {
    return await work()
  } finally {
    pending.delete(cleanUp)
    if (pending.size === 0) {
      process.off('SIGINT', interrupted)
      process.off('SIGTERM', interrupted)
    }
  }
}
