import { round } from './stats.ts'
import { embeddedTargets } from './summary.ts'

/** The suite's goals, as the performance issue states them; rates are shares of a calibration. */
export const targets = {
  embeddedOrders: { ratio: embeddedTargets.ratio, of: 'H(50)', p99Ms: embeddedTargets.p99Ms },
  distributedOrders: { ratio: 0.08, of: 'P', p99Ms: 150 },
  distributedReads: { ratio: 0.18, of: 'H(100)', p99Ms: 30 },
  /** Measured at this share of the mode's orders rate in the same run. */
  visibility: { rateShare: 1 / 3, p99Ms: 100 },
  coldStart: { starts: 5, medianMs: 1500 },
  memory: { peakMb: 300 },
} as const

/** One target and how the run fared against it. */
export interface Check {
  readonly name: string
  /** The measured figure; null when it could not be measured (which misses the target). */
  readonly actual: number | null
  /** 'min': actual must reach the limit; 'max': actual must not exceed it. */
  readonly bound: 'min' | 'max'
  readonly limit: number
  readonly unit: string
  /** Where a relative limit came from, e.g. "0.08 × P (10929.7 tps)". */
  readonly basis?: string
  /** Which panel of the chart shows it, if any. */
  readonly plot?: 'throughput' | 'limit'
  readonly met: boolean
}

type CheckSpec = Omit<Check, 'met' | 'bound'>

export const atLeast = (spec: CheckSpec): Check => ({
  ...spec,
  bound: 'min',
  met: spec.actual !== null && spec.actual >= spec.limit,
})

export const atMost = (spec: CheckSpec): Check => ({
  ...spec,
  bound: 'max',
  met: spec.actual !== null && spec.actual <= spec.limit,
})

/** A throughput target stated as a share of a calibration figure. */
export function rateCheck(
  actual: number | null,
  ratio: number,
  of: string,
  calibration: number,
  unit: string,
) {
  return atLeast({
    name: 'throughput',
    actual,
    limit: round(ratio * calibration),
    unit,
    basis: `${ratio} × ${of} (${round(calibration)})`,
    plot: 'throughput',
  })
}

export const p99Check = (actual: number | null, limit: number) =>
  atMost({ name: 'p99', actual, limit, unit: 'ms', plot: 'limit' })

export const noneCheck = (name: string, actual: number | null, unit = '') =>
  atMost({ name, actual, limit: 0, unit })

export interface ScenarioResult {
  readonly name: string
  readonly description: string
  readonly figures: Record<string, unknown>
  readonly checks: readonly Check[]
  /** Every target met; false when the scenario could not run. */
  readonly met: boolean
  /** Why the scenario could not run. */
  readonly error?: string
}

export function scenarioResult(
  name: string,
  description: string,
  figures: Record<string, unknown>,
  checks: readonly Check[],
): ScenarioResult {
  return { name, description, figures, checks, met: checks.length > 0 && checks.every((c) => c.met) }
}

export const failedScenario = (name: string, description: string, error: unknown): ScenarioResult => ({
  name,
  description,
  figures: {},
  checks: [],
  met: false,
  error: error instanceof Error ? error.message : String(error),
})
