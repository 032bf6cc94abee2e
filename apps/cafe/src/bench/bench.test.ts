import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseBenchArgs } from './options.ts'
import { mapBounded } from './verify.ts'

test('bench options: defaults, both modes, a timestamped file, help and bad values', () => {
  const options = parseBenchArgs([], new Date('2026-01-02T03:04:05.678Z'))
  assert.deepEqual(options, {
    modes: ['embedded'],
    durationS: 10,
    connections: 50,
    jsonFile: 'bench-results/bench-2026-01-02T03-04-05-678Z.json',
  })
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
  assert.deepEqual(both?.modes, ['embedded', 'distributed'])
  assert.equal(both?.connections, 100)
  assert.equal(both?.jsonFile, 'x.json')
  assert.equal(parseBenchArgs(['--help']), undefined)
  assert.throws(() => parseBenchArgs(['--mode', 'cluster']), /--mode/)
  assert.throws(() => parseBenchArgs(['--duration', '0']), /--duration/)
  assert.throws(() => parseBenchArgs(['--connections', '2.5']), /--connections/)
})

test('verification keeps at most the given number of look-ups in flight, results in order', async () => {
  let inFlight = 0
  let most = 0
  const results = await mapBounded([...Array(50).keys()], 7, async (n) => {
    most = Math.max(most, ++inFlight)
    await sleep(n % 3)
    inFlight--
    return n * 2
  })
  assert.equal(most, 7)
  assert.deepEqual(
    results,
    [...Array(50).keys()].map((n) => n * 2),
  )
})
