import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { freePort } from './process.ts'
import { backoffDelay, supervise } from './supervisor.ts'

/**
 * A real process standing for a service: it serves `/health/ready`, writes its pid to a file,
 * and exits with code 3 after `lifetimes[run]` ms (the last one: it stays).
 */
const program = `
const { appendFileSync, readFileSync } = require('node:fs')
const runs = (() => { try { return readFileSync(process.env.RUNS, 'utf8').split('\\n').filter(Boolean).length } catch { return 0 } })()
appendFileSync(process.env.RUNS, process.pid + '\\n')
const lifetimes = JSON.parse(process.env.LIFETIMES)
require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')
const lifetime = lifetimes[runs]
if (lifetime !== undefined) setTimeout(() => process.exit(3), lifetime)
process.on('SIGTERM', () => process.exit(0))
`

function capture() {
  const lines: Array<Record<string, any>> = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()))
      done()
    },
  })
  return { log: pino({ level: 'info' }, stream), lines }
}

test('backoff doubles from the initial delay up to the cap', () => {
  const backoff = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 }
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(backoff, n)),
    [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
  )
})

test('a process that exits is restarted with growing, capped delays, reset after a long enough run; a planned stop is not restarted', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cafe-supervisor-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const runs = join(dir, 'runs')
  const port = await freePort()
  const { log, lines } = capture()
  // The first run long enough to be seen ready even when starting Node takes seconds on a busy
  // machine, three short ones, one as long as the reset threshold (a run lasts its lifetime and
  // its start-up), then one that stays. The short ones stay short even if Node takes seconds to start.
  const lifetimes = [5000, 150, 150, 150, 5000]
  const supervised = supervise({
    service: 'svc',
    replica: 0,
    command: process.execPath,
    args: ['-e', program],
    env: { ...process.env, RUNS: runs, PORT: String(port), LIFETIMES: JSON.stringify(lifetimes) },
    url: `http://127.0.0.1:${port}`,
    log,
    backoff: { initialMs: 100, maxMs: 300, resetAfterMs: 5000 },
    stdio: 'ignore',
  })
  t.after(() => supervised.stop(2000))
  await supervised.ready(10_000)

  const pids = async () => (await readFile(runs, 'utf8')).split('\n').filter(Boolean).map(Number)
  const deadline = Date.now() + 30_000
  while ((await pids()).length < 6) {
    assert.ok(Date.now() < deadline, `only ${(await pids()).length} runs: ${JSON.stringify(lines)}`)
    await sleep(50)
  }
  const exits = lines.filter((l) => l.msg === 'service process exited unexpectedly; restarting')
  assert.deepEqual(
    exits.map((e) => [e.attempt, e.delayMs, e.code]),
    [
      [1, 100, 3],
      [2, 200, 3],
      [3, 300, 3],
      [4, 300, 3],
      [1, 100, 3],
    ],
  )
  const started = await pids()
  assert.deepEqual(
    exits.map((e) => e.pid),
    started.slice(0, 5),
  )
  for (const e of exits) assert.equal(e.service, 'svc')
  assert.equal(supervised.pid, started[5])
  const restarts = lines.filter((l) => l.msg === 'service process restarted').map((l) => l.pid)
  assert.deepEqual(restarts, started.slice(1))

  // Ready again after the restarts, then a planned stop: exit code 0 and no restart.
  const up = () =>
    fetch(`http://127.0.0.1:${port}/`).then(
      (r) => r.ok,
      () => false,
    )
  while (!(await up())) {
    assert.ok(Date.now() < deadline, 'the last process never served')
    await sleep(50)
  }
  await supervised.stop(2000)
  await sleep(500)
  assert.equal((await pids()).length, 6)
  assert.equal(lines.filter((l) => l.msg === 'service process exited unexpectedly; restarting').length, 5)
})

test('a process that exits before it is ready fails the start and is not restarted', async (t) => {
  const port = await freePort()
  const { log, lines } = capture()
  const supervised = supervise({
    service: 'svc',
    replica: 0,
    command: process.execPath,
    args: ['-e', 'process.exit(4)'],
    env: process.env,
    url: `http://127.0.0.1:${port}`,
    log,
    backoff: { initialMs: 10, maxMs: 10, resetAfterMs: 1000 },
    stdio: 'ignore',
  })
  t.after(() => supervised.stop(1000))
  await assert.rejects(supervised.ready(10_000), /exited with 4 during start-up/)
  await sleep(200)
  assert.deepEqual(lines, [])
})
