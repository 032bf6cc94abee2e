import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseBenchArgs } from './options.ts'
import { calibrationsFor, expandScenarios, scenarioNames } from './scenarios.ts'

const now = new Date('2026-01-02T03:04:05.678Z')

test('given no options, when parsed, then the plain embedded run as before: 50 connections, 10 s', () => {
  assert.deepEqual(parseBenchArgs([], now), {
    modes: ['embedded'],
    durationS: 10,
    connections: 50,
    jsonFile: 'bench-results/bench-2026-01-02T03-04-05-678Z.json',
  })
})

test('given the plain options, when parsed, then both modes, the connections and the file are kept', () => {
  const both = parseBenchArgs([
    '--mode',
    'both',
    '--duration',
    '3',
    '--connections',
    '100',
    '--json',
    'x.json',
  ])
  assert.deepEqual(both, {
    modes: ['embedded', 'distributed'],
    durationS: 3,
    connections: 100,
    jsonFile: 'x.json',
  })
})

test('given --help or bad values, when parsed, then undefined for help and a message naming the option', () => {
  assert.equal(parseBenchArgs(['--help']), undefined)
  assert.throws(() => parseBenchArgs(['--mode', 'cluster']), /--mode/)
  assert.throws(() => parseBenchArgs(['--duration', '0']), /--duration/)
  assert.throws(() => parseBenchArgs(['--connections', '2.5']), /--connections/)
})

test('given --suite, when parsed, then every scenario, a suite file and the chart in docs', () => {
  assert.deepEqual(parseBenchArgs(['--suite', '--duration', '3'], now), {
    scenarios: [...scenarioNames],
    durationS: 3,
    jsonFile: 'bench-results/suite-2026-01-02T03-04-05-678Z.json',
    chartFile: 'docs/bench.svg',
    chaos: { durationS: 3, clients: 8, killIntervalS: 5, seed: 45678 },
  })
  assert.deepEqual(parseBenchArgs(['--scenario', 'all'], now), parseBenchArgs(['--suite'], now))
})

test('given repeated --scenario, when parsed, then those scenarios in report order, with what they need', () => {
  const options = parseBenchArgs([
    '--scenario',
    'distributed-reads',
    '--scenario',
    'embedded-memory',
    '--chart',
    'c.svg',
  ])
  assert.deepEqual(options, {
    scenarios: ['embedded-orders', 'embedded-memory', 'distributed-reads'],
    durationS: 10,
    jsonFile: options && 'jsonFile' in options ? options.jsonFile : '',
    chartFile: 'c.svg',
  })
})

test('given a suite with plain-run options or an unknown scenario, when parsed, then it is refused', () => {
  assert.throws(() => parseBenchArgs(['--suite', '--connections', '10']), /--mode and --connections/)
  assert.throws(
    () => parseBenchArgs(['--scenario', 'embedded-orders', '--mode', 'both']),
    /--mode and --connections/,
  )
  assert.throws(() => parseBenchArgs(['--scenario', 'cluster-orders']), /--scenario must be one of/)
  assert.throws(() => parseBenchArgs(['--chart', 'c.svg']), /--chart goes with/)
})

test('given --scenario chaos, when parsed, then 60 s of it by default, a seed from the clock, and its own options', () => {
  assert.deepEqual(parseBenchArgs(['--scenario', 'chaos'], now), {
    scenarios: ['chaos'],
    durationS: 10,
    jsonFile: 'bench-results/suite-2026-01-02T03-04-05-678Z.json',
    chartFile: 'docs/bench.svg',
    chaos: { durationS: 60, clients: 8, killIntervalS: 5, seed: 45678 },
  })
  const chosen = parseBenchArgs(
    ['--scenario', 'chaos', '--duration', '20', '--clients', '3', '--kill-interval', '2', '--seed', '42'],
    now,
  )
  assert.deepEqual(chosen && 'scenarios' in chosen && chosen.chaos, {
    durationS: 20,
    clients: 3,
    killIntervalS: 2,
    seed: 42,
  })
})

test('given chaos options without the chaos scenario, or bad values, when parsed, then they are refused', () => {
  assert.throws(() => parseBenchArgs(['--seed', '42']), /--seed goes with --scenario chaos/)
  assert.throws(
    () => parseBenchArgs(['--scenario', 'embedded-orders', '--clients', '3']),
    /--clients goes with --scenario chaos/,
  )
  assert.throws(() => parseBenchArgs(['--scenario', 'chaos', '--kill-interval', '0']), /--kill-interval/)
  assert.throws(() => parseBenchArgs(['--scenario', 'chaos', '--seed', 'x']), /--seed/)
})

test('given visibility scenarios, when expanded, then their mode’s orders load comes along', () => {
  assert.deepEqual(expandScenarios(['distributed-visibility', 'embedded-visibility']), [
    'embedded-orders',
    'embedded-visibility',
    'distributed-orders',
    'distributed-visibility',
  ])
  assert.deepEqual(expandScenarios(['embedded-cold-start']), ['embedded-cold-start'])
})

test('given the scenarios, when calibrations are planned, then H at each concurrency used and P for distributed orders', () => {
  assert.deepEqual(calibrationsFor([...scenarioNames]), { h: [50, 100], p: true })
  assert.deepEqual(calibrationsFor(['distributed-reads']), { h: [100], p: false })
  assert.deepEqual(calibrationsFor(['embedded-cold-start']), { h: [], p: false })
  assert.deepEqual(calibrationsFor(['chaos']), { h: [], p: false })
})
