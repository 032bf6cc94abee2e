import { guarded } from './cleanup.ts'
import { stopOnceStarted, waitReady } from './orders.ts'
import { note } from './progress.ts'
import { percentile, round } from './stats.ts'
import { startSystem } from './system.ts'

export interface ColdStartResult {
  /** Spawn to the first 200 of the gateway's /health/ready, one figure per start. */
  readonly startsMs: readonly number[]
  readonly medianMs: number
  readonly maxMs: number
}

/**
 * Embedded mode from nothing: each start gets a new empty data directory (its databases are
 * created and migrated) and is stopped once ready. Readiness is asked every 5 ms.
 */
export async function measureColdStarts(starts = 5): Promise<ColdStartResult> {
  const startsMs: number[] = []
  for (let i = 1; i <= starts; i++) {
    const starting = startSystem('embedded')
    const startMs = await guarded(
      () => stopOnceStarted(starting),
      async () => {
        const system = await starting
        try {
          await waitReady(system.url, 30_000, 5)
          return round(performance.now() - system.spawnedAt)
        } finally {
          await system.stop()
        }
      },
    )
    startsMs.push(startMs)
    note(`embedded cold start ${i}/${starts}: ready after ${startsMs.at(-1)} ms`)
  }
  return {
    startsMs,
    medianMs: percentile(startsMs, 50) ?? 0,
    maxMs: Math.max(...startsMs),
  }
}
