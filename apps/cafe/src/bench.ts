import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Calibration, calibrate } from './bench/calibration.ts'
import { runLoad } from './bench/load.ts'
import { type BenchOptions, type Mode, parseBenchArgs, usage } from './bench/options.ts'
import { note } from './bench/progress.ts'
import { type ModeRun, type ModeSummary, machine, modeSummary } from './bench/summary.ts'
import { startSystem } from './bench/system.ts'
import { verifyOrders } from './bench/verify.ts'

const warmupS = 2
const calibrationMaxS = 5
const verifyConcurrency = 20
const verifyWaitMs = 30_000

/** `cafe bench`: calibrate, load each mode, verify every order, print and save a JSON summary. */
export async function bench(args: string[], _logger: unknown): Promise<void> {
  const options = parseBenchArgs(args)
  if (!options) {
    process.stdout.write(usage)
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
  const text = `${JSON.stringify(summary, null, 2)}\n`
  const file = resolve(options.jsonFile)
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, text)
  process.stdout.write(text)
  note(`summary written to ${file}`)
  // A benchmark that misses its targets still succeeded; one that lost an order did not.
  if (modes.some((m) => m.verified.missingPayments > 0 || m.verified.missingTickets > 0)) {
    note('verification failed: some orders are missing their payment or ticket')
    process.exitCode = 1
  }
}

async function runMode(mode: Mode, options: BenchOptions): Promise<ModeRun> {
  note(`${mode}: starting the system with a fresh store`)
  const system = await startSystem(mode)
  let shutdown: ModeRun['shutdown'] | undefined
  // Ctrl-C must not leave a system, its temp dir, databases or stream behind.
  const interrupted = (signal: NodeJS.Signals) => {
    note(`${signal}: stopping the system and cleaning up`)
    system.stop().finally(() => process.exit(130))
  }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  try {
    await waitReady(system.url)
    const placed: number[] = []
    const keep = (id: number) => {
      placed.push(id)
    }
    const { connections } = options
    await runLoad({
      url: system.url,
      connections,
      durationS: warmupS,
      label: `${mode} warm-up`,
      onCreated: keep,
    })
    const warmupOrders = placed.length
    const load = await runLoad({
      url: system.url,
      connections,
      durationS: options.durationS,
      label: mode,
      onCreated: keep,
      systemPid: system.pid,
    })
    note(`${mode}: verifying ${placed.length} orders (payments and drink tickets)`)
    const verification = await verifyOrders(system.url, placed, load.stoppedAt, {
      concurrency: verifyConcurrency,
      waitMs: verifyWaitMs,
    })
    note(
      `${mode}: ${verification.missingPayments} missing payments, ${verification.missingTickets} missing tickets, ` +
        `last ticket ${verification.lastTicketAfterStopMs} ms after the load stopped`,
    )
    shutdown = await system.stop()
    note(`${mode}: stopped in ${shutdown.shutdownMs} ms (exit code ${shutdown.exitCode})`)
    return { mode, load, warmupOrders, verification, shutdown }
  } finally {
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
    if (!shutdown) await system.stop()
  }
}

/** The gateway printed its address; ready means its upstream checks pass too. */
async function waitReady(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/health/ready`)
      .then(async (r) => {
        await r.body?.cancel()
        return r.ok
      })
      .catch(() => false)
    if (ok) return
    await sleep(100)
  }
  throw new Error(`the gateway at ${url} was not ready within ${timeoutMs} ms`)
}

const calibrationView = (c: Calibration) => ({
  reqPerSec: c.reqPerSec,
  p50: c.p50,
  p99: c.p99,
  errors: c.errors,
  durationS: c.durationS,
  otherCpu: c.otherCpu ?? null,
})
