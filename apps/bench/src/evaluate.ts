import type { Calibration } from './calibration.ts'
import type { ChaosResult } from './chaos-run.ts'
import type { ColdStartResult } from './coldstart.ts'
import type { Mode } from './options.ts'
import type { OrdersPhase, Shutdown } from './orders.ts'
import type { PgbenchCalibration } from './pgbench.ts'
import type { ReadsResult } from './reads.ts'
import type { ScenarioName } from './scenarios.ts'
import { round } from './stats.ts'
import { modeSummary } from './summary.ts'
import {
  atMost,
  failedScenario,
  noneCheck,
  p99Check,
  rateCheck,
  type ScenarioResult,
  scenarioResult,
  targets,
} from './targets.ts'
import type { VisibilityResult } from './visibility.ts'

/** A measurement, or why it could not be taken. */
export type Measured<T> = T | Error

export interface ModeMeasurements {
  readonly orders?: Measured<OrdersPhase>
  readonly visibility?: Measured<VisibilityResult>
  readonly reads?: Measured<ReadsResult>
  readonly shutdown?: Shutdown
}

export interface SuiteMeasurements {
  /** H by concurrency. */
  readonly h: ReadonlyMap<number, Calibration>
  readonly p?: Measured<PgbenchCalibration>
  readonly embedded?: Measured<ModeMeasurements>
  readonly coldStart?: Measured<ColdStartResult>
  readonly distributed?: Measured<ModeMeasurements>
  readonly chaos?: Measured<ChaosResult>
}

export const descriptions: Record<ScenarioName, string> = {
  'embedded-orders': 'embedded mode, POST /orders through the gateway, 50 connections, every order verified',
  'embedded-memory': 'embedded mode, peak resident memory of its one process during the orders load',
  'embedded-visibility':
    'embedded mode, order answered 201 → shown by the My Page live view, at ⅓ of the orders rate',
  'embedded-cold-start': 'embedded mode, spawn → /health/ready 200 with a fresh data dir, median of 5 starts',
  'distributed-orders':
    'distributed mode, POST /orders through the gateway, 100 connections, every order verified',
  'distributed-visibility':
    'distributed mode, order answered 201 → shown by the My Page live view, at ⅓ of the orders rate',
  'distributed-reads':
    'distributed mode, GET My Page and point history alternately through the gateway, 100 connections',
  chaos:
    'distributed mode, a random service SIGKILLed and restarted every few seconds under orders, cancels and the barista; every invariant checked once quiet',
}

/** The rate visibility is measured at: a third of what the orders load achieved. */
export const visibilityRate = (orders: OrdersPhase) =>
  Math.max(1, Math.round((orders.load.created / orders.load.durationS) * targets.visibility.rateShare))

/** Each scenario asked for, its figures and its targets, from what the run measured. */
export function evaluate(scenarios: readonly ScenarioName[], m: SuiteMeasurements): ScenarioResult[] {
  return scenarios.map((name) => {
    try {
      return evaluateOne(name, m)
    } catch (error) {
      return failedScenario(name, descriptions[name], error)
    }
  })
}

/** Throws the measurement's error, so the scenario is reported as not run. */
function got<T>(value: Measured<T> | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} was not measured`)
  if (value instanceof Error) throw value
  return value
}

function evaluateOne(name: ScenarioName, m: SuiteMeasurements): ScenarioResult {
  const describe = descriptions[name]
  if (name === 'chaos') return chaosResult(got(m.chaos, 'chaos'))
  const mode: Mode = name.startsWith('embedded-') ? 'embedded' : 'distributed'
  const h = (connections: number) => got(m.h.get(connections), `H(${connections})`)
  switch (name) {
    case 'embedded-orders':
    case 'distributed-orders': {
      const measured = got(m[mode], `${mode} mode`)
      const orders = got(measured.orders, `${mode} orders`)
      const hc = h(mode === 'embedded' ? 50 : 100)
      const figures = ordersFigures(mode, orders, measured.shutdown, hc)
      const rate = figures.ordersPerSec
      const v = orders.verification
      const throughput =
        mode === 'embedded'
          ? rateCheck(rate, targets.embeddedOrders.ratio, targets.embeddedOrders.of, hc.reqPerSec, 'orders/s')
          : rateCheck(rate, targets.distributedOrders.ratio, 'P', got(m.p, 'P').tps, 'orders/s')
      const p99Ms = mode === 'embedded' ? targets.embeddedOrders.p99Ms : targets.distributedOrders.p99Ms
      return scenarioResult(name, describe, figures, [
        throughput,
        p99Check(orders.load.p99, p99Ms),
        noneCheck('errors', orders.load.errors),
        noneCheck('orders missing a payment or ticket', v.missingPayments + v.missingTickets),
      ])
    }
    case 'embedded-memory': {
      const orders = got(got(m.embedded, 'embedded mode').orders, 'embedded orders')
      const memory = got(orders.memory, 'memory')
      return scenarioResult(name, describe, { ...memory }, [
        atMost({
          name: 'peak RSS',
          actual: Math.max(memory.highWaterMb, memory.sampledPeakMb),
          limit: targets.memory.peakMb,
          unit: 'MB',
          plot: 'limit',
        }),
      ])
    }
    case 'embedded-visibility':
    case 'distributed-visibility': {
      const visibility = got(got(m[mode], `${mode} mode`).visibility, `${mode} visibility`)
      return scenarioResult(name, describe, { ...visibility }, [
        p99Check(visibility.p99, targets.visibility.p99Ms),
        noneCheck('orders never shown', visibility.unseen),
        noneCheck('errors', visibility.errors),
      ])
    }
    case 'embedded-cold-start': {
      const cold = got(m.coldStart, 'cold start')
      return scenarioResult(name, describe, { ...cold }, [
        atMost({
          name: 'median start',
          actual: cold.medianMs,
          limit: targets.coldStart.medianMs,
          unit: 'ms',
          plot: 'limit',
        }),
      ])
    }
    case 'distributed-reads': {
      const reads = got(got(m.distributed, 'distributed mode').reads, 'distributed reads')
      const h100 = h(100)
      const { cpu, ...figures } = reads
      const reqPerSec = reads.reqPerSec
      return scenarioResult(
        name,
        describe,
        { ...figures, ratioToH: round(reqPerSec / h100.reqPerSec, 4), otherCpu: cpu?.otherCores ?? null },
        [
          rateCheck(
            reqPerSec,
            targets.distributedReads.ratio,
            targets.distributedReads.of,
            h100.reqPerSec,
            'req/s',
          ),
          p99Check(reads.p99, targets.distributedReads.p99Ms),
          noneCheck('errors', reads.errors),
        ],
      )
    }
    default: {
      const _exhaustive: never = name
      throw new Error(`unknown scenario ${_exhaustive}`)
    }
  }
}

/** Chaos has no target but correctness: no invariant broken, no answer that no fault explains. */
function chaosResult(chaos: ChaosResult): ScenarioResult {
  const { broken, problems, kills, figures: found, answers, ...settings } = chaos
  const figures = {
    ...settings,
    ...found,
    answers,
    kills: kills.length,
    killed: kills.map(
      (k) => `${k.service} at ${Math.round(k.at / 100) / 10} s, ready ${k.readyAfterMs ?? '?'} ms later`,
    ),
    broken: broken.slice(0, 50),
    problems: problems.slice(0, 20),
  }
  return scenarioResult('chaos', descriptions.chaos, figures, [
    noneCheck('broken invariants', broken.length),
    noneCheck('unexplained answers', problems.length),
  ])
}

/** The plain run's figures for the mode, without its own target (the suite's checks replace it). */
function ordersFigures(mode: Mode, orders: OrdersPhase, shutdown: Shutdown | undefined, h: Calibration) {
  const { targets: _plainTargets, ...figures } = modeSummary(
    { mode, ...orders, shutdown: shutdown ?? { exitCode: null, shutdownMs: 0 } },
    h,
  )
  return { ...figures, firstFailure: orders.load.firstFailure ?? null }
}
