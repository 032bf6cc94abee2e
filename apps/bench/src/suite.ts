import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { type Calibration, calibrate, calibrationView } from './calibration.ts'
import { chaosScenario } from './chaos-run.ts'
import { chartRows, renderChart } from './chart.ts'
import { measureColdStarts } from './coldstart.ts'
import {
  evaluate,
  type Measured,
  type ModeMeasurements,
  type SuiteMeasurements,
  visibilityRate,
} from './evaluate.ts'
import type { ChaosOptions, Mode, SuiteOptions } from './options.ts'
import { ordersPhase, verifyWaitMs, warmupS, withSystem } from './orders.ts'
import { calibratePostgres, pgbenchClients } from './pgbench.ts'
import { note } from './progress.ts'
import { readsScenario } from './reads.ts'
import {
  calibrationsFor,
  distributedConnections,
  embeddedConnections,
  type ScenarioName,
} from './scenarios.ts'
import { machine, publishSummary } from './summary.ts'
import type { ScenarioResult } from './targets.ts'
import { measureVisibility } from './visibility.ts'

const calibrationMaxS = 5

/** `cafe bench --suite`: the calibrations, every scenario asked for, a JSON summary and a chart. */
export async function runSuite(options: SuiteOptions): Promise<void> {
  const startedAt = new Date()
  const host = machine()
  const { scenarios, durationS } = options
  const wants = (name: ScenarioName) => scenarios.includes(name)
  const calibrationS = Math.min(durationS, calibrationMaxS)
  const needed = calibrationsFor(scenarios)

  const h = new Map<number, Calibration>()
  for (const connections of needed.h) {
    note(`calibration: bare node:http server, ${connections} connections, ${calibrationS} s`)
    h.set(connections, await calibrate(connections, calibrationS))
    note(`H(${connections}) = ${h.get(connections)?.reqPerSec} req/s`)
  }
  const p = needed.p ? await attempt(() => calibratePostgres(calibrationS)) : undefined
  if (p && !(p instanceof Error)) note(`P = ${p.tps} tps`)

  const measured: SuiteMeasurements = {
    h,
    ...(p && { p }),
    ...(scenarios.some((s) => s.startsWith('embedded-') && s !== 'embedded-cold-start') && {
      embedded: await attempt(() => modeRun('embedded', embeddedConnections, durationS, wants)),
    }),
    ...(wants('embedded-cold-start') && { coldStart: await attempt(() => measureColdStarts()) }),
    ...(scenarios.some((s) => s.startsWith('distributed-')) && {
      distributed: await attempt(() => modeRun('distributed', distributedConnections, durationS, wants)),
    }),
    ...(options.chaos && { chaos: await attempt(() => chaosScenario(options.chaos as ChaosOptions)) }),
  }
  const results = evaluate(scenarios, measured)
  const summary = {
    startedAt: startedAt.toISOString(),
    machine: host,
    settings: {
      scenarios,
      durationS,
      calibrationDurationS: calibrationS,
      warmupS,
      verifyWaitMs,
      pgbenchClients,
      visibilityRateShare: '1/3 of the orders rate of the same mode and run',
      ...(options.chaos && { chaos: options.chaos }),
    },
    calibration: {
      H: Object.fromEntries([...h].map(([connections, c]) => [connections, calibrationView(c)])),
      ...(p && { P: p instanceof Error ? { error: p.message } : p }),
    },
    scenarios: Object.fromEntries(results.map((r) => [r.name, r])),
    met: results.every((r) => r.met),
  }
  await publishSummary(summary, options.jsonFile)
  // Chaos has nothing to draw: a run of it alone leaves the chart as it was.
  const drawn = results.filter((r) => r.name !== 'chaos')
  if (drawn.length > 0) {
    const chartFile = resolve(options.chartFile)
    await mkdir(dirname(chartFile), { recursive: true })
    await writeFile(chartFile, chart(drawn, startedAt, host, h, p, durationS))
    note(`chart written to ${chartFile}`)
  }
  for (const r of results)
    note(`${r.met ? 'met   ' : 'missed'} ${r.name}${r.error ? ` (not run: ${r.error})` : ''}`)
  // As in the plain run: a missed target is reported, a lost order fails the run.
  if (results.some((r) => r.checks.some((c) => c.name.startsWith('orders missing') && !c.met))) {
    note('verification failed: some orders are missing their payment or ticket')
    process.exitCode = 1
  }
  // Chaos has no performance target: it either held every invariant or it failed.
  const chaos = results.find((r) => r.name === 'chaos')
  if (chaos && !chaos.met) {
    note(
      `chaos failed: ${chaos.error ?? 'invariants broken or answers unexplained (see "broken" in the summary)'}`,
    )
    process.exitCode = 1
  }
}

/** One system of `mode` for all of its scenarios: orders (with memory), then visibility, then reads. */
async function modeRun(
  mode: Mode,
  connections: number,
  durationS: number,
  wants: (name: ScenarioName) => boolean,
): Promise<ModeMeasurements> {
  const { result, shutdown } = await withSystem(mode, async (system) => {
    const found: { -readonly [K in keyof ModeMeasurements]: ModeMeasurements[K] } = {}
    if (wants(`${mode}-orders`)) {
      const orders = await attempt(() =>
        ordersPhase(system, mode, { connections, durationS, sampleMemory: mode === 'embedded' }),
      )
      found.orders = orders
      if (wants(`${mode}-visibility`)) {
        found.visibility =
          orders instanceof Error
            ? orders
            : await attempt(() =>
                measureVisibility(system.url, {
                  rate: visibilityRate(orders),
                  durationS,
                  label: `${mode} visibility`,
                }),
              )
      }
    }
    if (mode === 'distributed' && wants('distributed-reads')) {
      found.reads = await attempt(() =>
        readsScenario(system.url, { connections, durationS, systemPid: system.pid, label: `${mode} reads` }),
      )
    }
    return found
  })
  return { ...result, shutdown }
}

/** A failed step is reported with its scenarios; the suite goes on with the others. */
async function attempt<T>(work: () => Promise<T>): Promise<Measured<T>> {
  try {
    return await work()
  } catch (error) {
    note(`failed: ${error instanceof Error ? error.message : String(error)}`)
    return error instanceof Error ? error : new Error(String(error))
  }
}

function chart(
  results: readonly ScenarioResult[],
  startedAt: Date,
  host: ReturnType<typeof machine>,
  h: ReadonlyMap<number, Calibration>,
  p: Measured<{ tps: number }> | undefined,
  durationS: number,
): string {
  const calibrations = [
    ...[...h].map(([connections, c]) => `H(${connections}) = ${Math.round(c.reqPerSec)} req/s`),
    ...(p && !(p instanceof Error) ? [`P = ${Math.round(p.tps)} tps`] : []),
  ]
  // The machine is shared: a chart from a busy run must say so.
  const others = [...[...h.values()].map((c) => c.otherCpu), ...results.map((r) => r.figures.otherCpu)]
  const busiest = Math.max(0, ...others.filter((n): n is number => typeof n === 'number'))
  return renderChart({
    title: `cafeteria bench suite, ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    subtitle:
      `${calibrations.join(' · ')} · ${durationS} s per load · ${host.cpus} × ${host.cpuModel} · ` +
      `Node ${host.node} · other processes used up to ${busiest} cores meanwhile`,
    rows: chartRows(results),
  })
}
