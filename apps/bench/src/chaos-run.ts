import { type ChaosParty, type ChaosRecord, runChaos } from './chaos.ts'
import { startCluster } from './cluster.ts'
import { type InvariantReport, settle } from './invariants.ts'
import type { ChaosOptions } from './options.ts'
import { note } from './progress.ts'

export interface ChaosResult {
  readonly seed: number
  readonly durationS: number
  readonly clients: number
  readonly killIntervalS: number
  readonly kills: ChaosRecord['kills']
  readonly answers: ChaosRecord['answers']
  readonly problems: readonly string[]
  readonly figures: InvariantReport['figures']
  readonly broken: readonly string[]
  /** From the end of the chaos to every invariant holding (or the deadline). */
  readonly settleMs: number
}

const SETTLE_DEADLINE_MS = 180_000

/**
 * `cafe bench --scenario chaos`: a cluster of one process per service (fresh databases and
 * stream, in open mode as every bench system: no sign-in, no rate limits), the chaos, then the
 * invariants once quiet. Each client orders for a phone of its own.
 */
export async function chaosScenario(options: ChaosOptions): Promise<ChaosResult> {
  const { durationS, clients, killIntervalS, seed } = options
  note(`chaos: starting one process per service (seed ${seed}; --seed ${seed} replays its choices)`)
  const cluster = await startCluster({
    access: { OPEN_API: 'true' },
    // The shortest the call settings allow: intents caught by a killed order process are placed
    // again within the run rather than 30 s later.
    env: { order: { ORDER_ABANDONED_AFTER_MS: '9000' } },
  })
  try {
    const party: ChaosParty = {
      url: cluster.gatewayUrl,
      staff: {},
      customers: Array.from({ length: clients }, (_, n) => ({
        phoneNumber: `0107990${String(n).padStart(4, '0')}`,
        headers: {},
      })),
    }
    const record = await runChaos(
      cluster,
      party,
      {
        durationMs: durationS * 1000,
        clients,
        killIntervalMs: killIntervalS * 1000,
        seed,
        resolveWithinMs: 120_000,
      },
      note,
    )
    note(`chaos: over after ${record.kills.length} kills; checking the invariants until they hold`)
    const report = await settle(record, party, SETTLE_DEADLINE_MS, note)
    for (const line of report.broken.slice(0, 50)) note(`broken: ${line}`)
    for (const line of record.problems.slice(0, 20)) note(`unexplained: ${line}`)
    return {
      seed,
      durationS,
      clients,
      killIntervalS,
      kills: record.kills,
      answers: record.answers,
      problems: record.problems,
      figures: report.figures,
      broken: report.broken,
      settleMs: report.settleMs,
    }
  } finally {
    await cluster.close()
  }
}
