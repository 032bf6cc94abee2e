import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Calibration } from './calibration.ts'
import { evaluate, type SuiteMeasurements, visibilityRate } from './evaluate.ts'
import type { LoadResult } from './load.ts'
import type { OrdersPhase } from './orders.ts'
import { percentile } from './stats.ts'
import { atLeast, atMost, rateCheck } from './targets.ts'
import type { Verification } from './verify.ts'

const calibration = (reqPerSec: number): Calibration => ({
  reqPerSec,
  p50: 1,
  p99: 3,
  errors: 0,
  durationS: 5,
  otherCpu: 0,
})

const load = (created: number, p99: number, errors = 0): LoadResult => ({
  completed: created,
  created,
  errors,
  statusCodes: { '201': created },
  p50: p99 / 2,
  p99,
  durationS: 10,
  firstFailure: undefined,
  stoppedAt: 0,
  cpu: undefined,
})

const verification = (checked: number, missingTickets = 0): Verification => ({
  checked,
  payments: checked,
  tickets: checked - missingTickets,
  missingPayments: 0,
  missingTickets,
  duplicateTickets: 0,
  lastTicketAfterStopMs: 10,
  tookMs: 100,
})

const orders = (created: number, p99: number, missingTickets = 0): OrdersPhase => ({
  load: load(created, p99),
  warmupOrders: 0,
  verification: verification(created, missingTickets),
  memory: { sampledPeakMb: 200, highWaterMb: 210, samples: 100 },
})

test('given a figure at its limit, when checked, then the limit counts as met either way; unmeasured never meets', () => {
  assert.equal(atLeast({ name: 'x', actual: 10, limit: 10, unit: '' }).met, true)
  assert.equal(atMost({ name: 'x', actual: 10, limit: 10, unit: '' }).met, true)
  assert.equal(atMost({ name: 'x', actual: 10.1, limit: 10, unit: '' }).met, false)
  assert.equal(atMost({ name: 'x', actual: null, limit: 10, unit: '' }).met, false)
  assert.deepEqual(rateCheck(90, 0.02, 'H(50)', 5000, 'orders/s'), {
    name: 'throughput',
    actual: 90,
    bound: 'min',
    limit: 100,
    unit: 'orders/s',
    basis: '0.02 × H(50) (5000)',
    plot: 'throughput',
    met: false,
  })
})

test('given embedded orders above 0.02 × H(50) with p99 under 200 ms, when evaluated, then met, memory too', () => {
  const measured: SuiteMeasurements = {
    h: new Map([[50, calibration(5000)]]),
    embedded: { orders: orders(1500, 180), shutdown: { exitCode: 0, shutdownMs: 300 } },
  }
  const [ordersResult, memory] = evaluate(['embedded-orders', 'embedded-memory'], measured)
  assert.equal(ordersResult?.met, true)
  assert.equal(ordersResult?.figures.ordersPerSec, 150)
  assert.deepEqual(
    ordersResult?.checks.map((c) => [c.name, c.actual, c.limit, c.met]),
    [
      ['throughput', 150, 100, true],
      ['p99', 180, 200, true],
      ['errors', 0, 0, true],
      ['orders missing a payment or ticket', 0, 0, true],
    ],
  )
  assert.deepEqual(
    memory?.checks.map((c) => [c.name, c.actual, c.limit, c.met]),
    [['peak RSS', 210, 300, true]],
  )
})

test('given distributed orders, when evaluated, then throughput is held to 0.08 × P and a lost ticket misses', () => {
  const measured: SuiteMeasurements = {
    h: new Map([[100, calibration(6000)]]),
    p: {
      tps: 10_000,
      transactions: 50_000,
      failed: 0,
      latencyAverageMs: 1.6,
      clients: 16,
      durationS: 5,
      synchronousCommit: 'on',
    },
    distributed: { orders: orders(9000, 120, 1) },
  }
  const [result] = evaluate(['distributed-orders'], measured)
  assert.equal(result?.checks[0]?.limit, 800)
  assert.equal(result?.checks[0]?.met, true)
  assert.equal(result?.checks.at(-1)?.met, false)
  assert.equal(result?.met, false)
})

test('given a step that failed or a missing calibration, when evaluated, then the scenario is reported as not run', () => {
  const measured: SuiteMeasurements = {
    h: new Map(),
    distributed: new Error('the gateway was not ready'),
    coldStart: { startsMs: [900, 1000, 1100, 1200, 5000], medianMs: 1100, maxMs: 5000 },
  }
  const [reads, cold] = evaluate(['distributed-reads', 'embedded-cold-start'], measured)
  assert.deepEqual([reads?.met, reads?.error, reads?.checks], [false, 'the gateway was not ready', []])
  assert.deepEqual(
    cold?.checks.map((c) => [c.name, c.actual, c.met]),
    [['median start', 1100, true]],
  )
})

test('given a visibility run with an order never shown, when evaluated, then missed even with a good p99', () => {
  const visibility = {
    method: 'sse' as const,
    phones: 20,
    targetRate: 50,
    achievedRate: 50,
    durationS: 10,
    placed: 500,
    errors: 0,
    seen: 499,
    unseen: 1,
    beforeAnswer: 3,
    p50: 8,
    p99: 40,
    max: 70,
  }
  const [result] = evaluate(['embedded-visibility'], { h: new Map(), embedded: { visibility } })
  assert.deepEqual(
    result?.checks.map((c) => [c.name, c.met]),
    [
      ['p99', true],
      ['orders never shown', false],
      ['errors', true],
    ],
  )
})

test('given an orders load, when the visibility rate is set, then a third of its orders per second', () => {
  assert.equal(visibilityRate(orders(1500, 100)), 50)
  assert.equal(visibilityRate(orders(1, 100)), 1)
})

test('given values, when a percentile is asked, then the nearest rank; none for no values', () => {
  assert.equal(percentile([5, 1, 3, 2, 4], 50), 3)
  assert.equal(
    percentile(
      [...Array(100).keys()].map((n) => n + 1),
      99,
    ),
    99,
  )
  assert.equal(percentile([7], 99), 7)
  assert.equal(percentile([], 50), undefined)
})
