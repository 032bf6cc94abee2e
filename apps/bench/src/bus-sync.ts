import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openLocalBus } from '@cafeteria/platform'

type SqliteSync = 'normal' | 'full'

/**
 * What fsyncing every publish of the embedded log costs: one-message publishes one after another
 * (as the relay publishes a kicked row), into a fresh log under --dir, FULL and NORMAL alternating.
 *   node apps/bench/src/bus-sync.ts [--dir /path/on/the/data/disk] [--count 2000] [--rounds 3]
 */
const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: tmpdir() },
    count: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
  },
})
const count = Number(values.count)

async function round(sync: SqliteSync): Promise<number> {
  const dir = await mkdtemp(join(values.dir, 'cafe-bus-sync-'))
  try {
    const bus = openLocalBus({ path: join(dir, 'bus.db'), sync })
    const started = performance.now()
    for (let i = 0; i < count; i++)
      await bus.publish([{ id: `m${i}`, type: 'Ordered', payload: '{"orderId":1}' }])
    const seconds = (performance.now() - started) / 1000
    await bus.close()
    return count / seconds
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const rates: Record<SqliteSync, number[]> = { normal: [], full: [] }
for (let r = 0; r < Number(values.rounds); r++) {
  for (const sync of ['full', 'normal'] as const) rates[sync].push(await round(sync))
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
for (const sync of ['normal', 'full'] as const) {
  const m = median(rates[sync])
  console.log(
    `${sync}: ${Math.round(m)} publishes/s (${(1e6 / m).toFixed(0)} µs each); rounds ${rates[sync].map(Math.round).join(' / ')}`,
  )
}
