import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg, release, totalmem, type } from 'node:os'
import { dirname, resolve } from 'node:path'
import type { Calibration } from './calibration.ts'
import { round } from './calibration.ts'
import type { LoadResult } from './load.ts'
import type { Mode } from './options.ts'
import { note } from './progress.ts'
import type { Verification } from './verify.ts'

/** Embedded mode's goal on any machine, relative to what a bare Node server does there. */
export const embeddedTargets = { ratio: 0.02, p99Ms: 200, maxErrors: 0 }

export function machine() {
  const cores = cpus()
  return {
    cpuModel: cores[0]?.model ?? 'unknown',
    cpus: cores.length,
    totalMemoryGb: round(totalmem() / 1024 ** 3),
    node: process.version,
    os: `${type()} ${release()} ${process.arch}`,
    // The machine is shared: how busy it was when the run began tells how far to trust it.
    loadAverageAtStart: loadavg().map((n) => round(n, 2)),
  }
}

export interface ModeRun {
  readonly mode: Mode
  readonly load: LoadResult
  readonly warmupOrders: number
  readonly verification: Verification
  readonly shutdown: { exitCode: number | null; shutdownMs: number }
}

export function modeSummary(run: ModeRun, calibration: Calibration) {
  const { load, verification: v } = run
  const ordersPerSec = round(load.created / load.durationS)
  const ratioToCalibration = round(ordersPerSec / calibration.reqPerSec, 4)
  return {
    mode: run.mode,
    ordersPerSec,
    p50: load.p50,
    p99: load.p99,
    errors: load.errors,
    statusCodes: load.statusCodes,
    ratioToCalibration,
    placed: load.created,
    durationS: load.durationS,
    // CPU per order barely moves when a neighbour slows the run; orders/s does.
    cpuMsPerOrder: perOrder(load.cpu?.systemS, load.created),
    ...(run.mode === 'distributed'
      ? { serversCpuMsPerOrder: perOrder(load.cpu?.serversS, load.created) }
      : {}),
    otherCpu: load.cpu?.otherCores ?? null,
    warmupOrders: run.warmupOrders,
    verified: {
      checked: v.checked,
      payments: v.payments,
      tickets: v.tickets,
      missingPayments: v.missingPayments,
      missingTickets: v.missingTickets,
      duplicateTickets: v.duplicateTickets,
      lastTicketAfterStopMs: v.lastTicketAfterStopMs,
      tookMs: v.tookMs,
    },
    shutdown: { exitCode: run.shutdown.exitCode, ms: run.shutdown.shutdownMs },
    ...(run.mode === 'embedded'
      ? {
          targets: {
            ...embeddedTargets,
            met:
              ratioToCalibration >= embeddedTargets.ratio &&
              load.p99 <= embeddedTargets.p99Ms &&
              load.errors <= embeddedTargets.maxErrors,
          },
        }
      : {}),
  }
}

export type ModeSummary = ReturnType<typeof modeSummary>

const perOrder = (seconds: number | undefined, orders: number) =>
  seconds === undefined || orders === 0 ? null : round((seconds * 1000) / orders, 2)

/** Prints the summary as JSON on stdout and writes it to `jsonFile` too. */
export async function publishSummary(summary: unknown, jsonFile: string): Promise<void> {
  const text = `${JSON.stringify(summary, null, 2)}\n`
  const file = resolve(jsonFile)
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, text)
  process.stdout.write(text)
  note(`summary written to ${file}`)
}
