import { calibrate, calibrationView } from './calibration.ts'
import { type BenchOptions, type Mode, parseBenchArgs, usage } from './options.ts'
import { ordersPhase, verifyConcurrency, verifyWaitMs, warmupS, withSystem } from './orders.ts'
import { note } from './progress.ts'
import { runSuite } from './suite.ts'
import { type ModeRun, type ModeSummary, machine, modeSummary, publishSummary } from './summary.ts'

const calibrationMaxS = 5

/**
 * `cafe bench`: calibrate, load each mode, verify every order, print and save a JSON summary;
 * with --suite or --scenario, the scenario suite instead (suite.ts).
 */
export async function bench(args: string[], _logger: unknown): Promise<void> {
  const options = parseBenchArgs(args)
  if (!options) {
    process.stdout.write(usage)
    return
  }
  if ('scenarios' in options) {
    await runSuite(options)
    return
  }
  const startedAt = new Date()
  const host = machine()
  const calibrationS = Math.min(options.durationS, calibrationMaxS)
  note(`calibration: bare node:http server, ${options.connections} connections, ${calibrationS} s`)
  const calibration = await calibrate(options.connections, calibrationS)
  note(`H = ${calibration.reqPerSec} req/s`)

  const modes: ModeSummary[] = []
  for (const mode of options.modes) modes.push(modeSummary(await runMode(mode, options), calibration))

  const summary = {
    startedAt: startedAt.toISOString(),
    machine: host,
    settings: {
      modes: options.modes,
      durationS: options.durationS,
      connections: options.connections,
      calibrationDurationS: calibrationS,
      warmupS,
      request: 'POST /orders through the gateway',
      verifyConcurrency,
      verifyWaitMs,
    },
    calibration: calibrationView(calibration),
    modes: Object.fromEntries(modes.map((m) => [m.mode, m])),
  }
  await publishSummary(summary, options.jsonFile)
  // A benchmark that misses its targets still succeeded; one that lost an order did not.
  if (modes.some((m) => m.verified.missingPayments > 0 || m.verified.missingTickets > 0)) {
    note('verification failed: some orders are missing their payment or ticket')
    process.exitCode = 1
  }
}

async function runMode(mode: Mode, options: BenchOptions): Promise<ModeRun> {
  const { result, shutdown } = await withSystem(mode, (system) =>
    ordersPhase(system, mode, { connections: options.connections, durationS: options.durationS }),
  )
  return { mode, ...result, shutdown }
}
