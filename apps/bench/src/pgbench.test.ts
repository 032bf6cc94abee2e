import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parsePgbench } from './pgbench.ts'

// As printed by pgbench 15 for `-n -c 16 -j 2 -T 1 -f insert.sql`.
const pg15 = `pgbench (15.20 (Debian 15.20-0+deb12u1))
transaction type: /tmp/x/i.sql
scaling factor: 1
query mode: simple
number of clients: 16
number of threads: 2
maximum number of tries: 1
duration: 1 s
number of transactions actually processed: 10858
number of failed transactions: 0 (0.000%)
latency average = 1.464 ms
initial connection time = 36.619 ms
tps = 10929.665819 (without initial connection time)
`

// Before PostgreSQL 14 two rates were printed; the one without connection set-up is the one to take.
const pg13 = `number of transactions actually processed: 5000
latency average = 3.200 ms
tps = 4900.123456 (including connections establishing)
tps = 5000.654321 (excluding connections establishing)
`

test('given pgbench 15 output, when parsed, then tps, transactions, failures and average latency', () => {
  assert.deepEqual(parsePgbench(pg15), {
    tps: 10929.665819,
    transactions: 10858,
    failed: 0,
    latencyAverageMs: 1.464,
  })
})

test('given pre-14 output with two rates, when parsed, then the rate excluding connection set-up', () => {
  const figures = parsePgbench(pg13)
  assert.equal(figures.tps, 5000.654321)
  assert.equal(figures.failed, undefined)
})

test('given output without a rate, when parsed, then it fails with the output in the message', () => {
  assert.throws(
    () => parsePgbench('pgbench: error: connection refused'),
    /no "tps = …".*\n.*connection refused/s,
  )
})
