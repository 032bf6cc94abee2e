/** Every scenario of the suite, in the order they are reported. */
export const scenarioNames = [
  'embedded-orders',
  'embedded-memory',
  'embedded-visibility',
  'embedded-cold-start',
  'distributed-orders',
  'distributed-visibility',
  'distributed-reads',
  'chaos',
] as const

export type ScenarioName = (typeof scenarioNames)[number]

export const isScenarioName = (name: string): name is ScenarioName =>
  (scenarioNames as readonly string[]).includes(name)

/** Connections each load scenario uses: its targets are stated for these. */
export const embeddedConnections = 50
export const distributedConnections = 100

/**
 * What to run for a selection: memory is sampled during the orders load and visibility is
 * measured at a third of that load's rate, so either one brings its mode's orders load along.
 */
export function expandScenarios(selected: readonly ScenarioName[]): ScenarioName[] {
  const chosen = new Set(selected)
  if (chosen.has('embedded-memory') || chosen.has('embedded-visibility')) chosen.add('embedded-orders')
  if (chosen.has('distributed-visibility')) chosen.add('distributed-orders')
  return scenarioNames.filter((name) => chosen.has(name))
}

export interface Calibrations {
  /** Concurrencies at which to measure H. */
  readonly h: readonly number[]
  /** Whether to measure P (pgbench). */
  readonly p: boolean
}

/** The calibrations the scenarios' targets are stated against. */
export function calibrationsFor(scenarios: readonly ScenarioName[]): Calibrations {
  const embedded = scenarios.includes('embedded-orders')
  const distributed = scenarios.some((s) => s.startsWith('distributed-'))
  return {
    h: [...(embedded ? [embeddedConnections] : []), ...(distributed ? [distributedConnections] : [])],
    p: scenarios.includes('distributed-orders'),
  }
}
