import { parseArgs } from 'node:util'
import { expandScenarios, isScenarioName, type ScenarioName, scenarioNames } from './scenarios.ts'

export type Mode = 'embedded' | 'distributed'

/** The plain run: POST /orders in each mode. */
export interface BenchOptions {
  readonly modes: readonly Mode[]
  readonly durationS: number
  readonly connections: number
  readonly jsonFile: string
}

/** The chaos scenario's settings (see bench/chaos.ts). */
export interface ChaosOptions {
  readonly durationS: number
  readonly clients: number
  readonly killIntervalS: number
  readonly seed: number
}

/** A suite run (--suite or --scenario). */
export interface SuiteOptions {
  /** What runs, in report order: the selection with what it depends on. */
  readonly scenarios: readonly ScenarioName[]
  /** Seconds of each load phase. */
  readonly durationS: number
  readonly jsonFile: string
  readonly chartFile: string
  /** When the chaos scenario runs. */
  readonly chaos?: ChaosOptions
}

/** Chaos runs longer than a load phase by default: most faults need several kills to meet. */
const chaosDefaults = { durationS: 60, clients: 8, killIntervalS: 5 }

export const usage = `usage: cafe bench [options]

Load-tests POST /orders through the gateway of a freshly started system (a real process with a
fresh store), after calibrating the machine with a bare node:http server (H, its req/s). Then
checks that every order placed got its payment and its drink ticket.

  --mode <m>          embedded | distributed | both (default embedded)
  --duration <s>      seconds of load per mode, or per load phase of a suite (default 10)
  --connections <n>   concurrent connections (default 50)
  --json <file>       where the summary goes too (default bench-results/bench-<timestamp>.json,
                      bench-results/suite-<timestamp>.json for a suite)
  --help              this text

The scenario suite, each scenario with targets relative to calibrations of the same run: H at
50 and 100 connections, and P (pgbench single-row INSERTs, 16 clients, synchronous commit):

  --suite             every scenario (same as --scenario all)
  --scenario <name>   one scenario; repeat the option for more. Names:
                        embedded-orders         POST /orders, 50 connections: ≥ 0.02 × H(50), p99 ≤ 200 ms
                        embedded-memory         peak RSS during that load: ≤ 300 MB
                        embedded-visibility     order → My Page (live view) at ⅓ of the orders rate: p99 ≤ 100 ms
                        embedded-cold-start     spawn → /health/ready, fresh data dir, median of 5: ≤ 1500 ms
                        distributed-orders      POST /orders, 100 connections: ≥ 0.08 × P, p99 ≤ 150 ms
                        distributed-visibility  as embedded-visibility, distributed mode
                        distributed-reads       My Page and points reads, 100 connections: ≥ 0.18 × H(100), p99 ≤ 30 ms
                        chaos                   distributed mode, a random service SIGKILLed and restarted every
                                                few seconds under orders (retried with their Idempotency-Key),
                                                cancels and the barista; then every invariant must hold: one order
                                                and one payment per intent, tickets, My Page, exact points
                      Memory and visibility bring their mode's orders load along (they are measured on it).
  --chart <file>      the SVG chart a suite run draws (default docs/bench.svg; chaos has no bars)

Chaos: --duration is its length (default ${chaosDefaults.durationS} s), and

  --clients <n>       customers ordering at once, a phone each (default ${chaosDefaults.clients})
  --kill-interval <s> mean seconds between two kills (default ${chaosDefaults.killIntervalS})
  --seed <n>          the seed of every random choice, printed by each run (default from the clock)

In a suite, connections are each scenario's own: --mode and --connections go with the plain run.

The summary is printed as JSON on stdout; progress goes to stderr. Exits 1 when an order is
missing its payment or its ticket, or chaos broke an invariant; 0 otherwise (missed targets
included).
`

/** Parsed options, or undefined when --help was asked for. */
export function parseBenchArgs(args: string[], now = new Date()): BenchOptions | SuiteOptions | undefined {
  const { values } = parseArgs({
    args,
    options: {
      mode: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      json: { type: 'string' },
      suite: { type: 'boolean', default: false },
      scenario: { type: 'string', multiple: true },
      chart: { type: 'string' },
      clients: { type: 'string' },
      'kill-interval': { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) return undefined
  const modes: Record<string, Mode[]> = {
    embedded: ['embedded'],
    distributed: ['distributed'],
    both: ['embedded', 'distributed'],
  }
  const mode = values.mode ?? 'embedded'
  const chosen = modes[mode]
  if (!chosen) throw new Error(`--mode must be embedded, distributed or both, not '${mode}'`)
  const stamp = now.toISOString().replace(/[:.]/g, '-')
  const durationS = positiveInt('--duration', values.duration ?? '10')
  const selected = selection(values.suite, values.scenario ?? [])
  const chaosOnly = { clients: values.clients, 'kill-interval': values['kill-interval'], seed: values.seed }
  const misplaced = Object.entries(chaosOnly).find(([, v]) => v !== undefined)
  if (misplaced && !selected?.includes('chaos'))
    throw new Error(`--${misplaced[0]} goes with --scenario chaos`)
  if (!selected) {
    if (values.chart !== undefined) throw new Error('--chart goes with --suite or --scenario')
    return {
      modes: chosen,
      durationS,
      connections: positiveInt('--connections', values.connections ?? '50'),
      jsonFile: values.json ?? `bench-results/bench-${stamp}.json`,
    }
  }
  if (values.mode !== undefined || values.connections !== undefined)
    throw new Error('--mode and --connections go with the plain run, not with --suite or --scenario')
  return {
    scenarios: expandScenarios(selected),
    durationS,
    jsonFile: values.json ?? `bench-results/suite-${stamp}.json`,
    chartFile: values.chart ?? 'docs/bench.svg',
    ...(selected.includes('chaos') && {
      chaos: {
        durationS: values.duration === undefined ? chaosDefaults.durationS : durationS,
        clients: positiveInt('--clients', values.clients ?? String(chaosDefaults.clients)),
        killIntervalS: positiveInt(
          '--kill-interval',
          values['kill-interval'] ?? String(chaosDefaults.killIntervalS),
        ),
        seed: values.seed === undefined ? now.getTime() % 1_000_000 : positiveInt('--seed', values.seed),
      },
    }),
  }
}

/** The scenarios asked for, or undefined for the plain run. */
function selection(suite: boolean, names: readonly string[]): ScenarioName[] | undefined {
  if (!suite && names.length === 0) return undefined
  if (suite || names.includes('all')) return [...scenarioNames]
  return names.map((name) => {
    if (!isScenarioName(name))
      throw new Error(`--scenario must be one of ${scenarioNames.join(', ')} or all, not '${name}'`)
    return name
  })
}

function positiveInt(name: string, text: string): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a whole number ≥ 1, not '${text}'`)
  return value
}
