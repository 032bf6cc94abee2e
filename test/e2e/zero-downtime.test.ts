import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { type DistributedStores, distributedStores } from '../support/distributed.ts'
import { type CafeProcess, startCafe } from '../support/process.ts'
import { type Credentials, type SecureAccess, startSecureAccess } from '../support/secure.ts'
import { call, waitFor } from '../support/system.ts'
import { menuOrder } from './scenario.ts'

/**
 * Rolling restarts under load, distributed mode with real processes: point and order run two
 * replicas each; 50 clients read point history and place orders through the gateway while
 * `cafe restart point`, then `cafe restart order`, replace every replica, and then a point
 * replica is killed outright and brought back by the runner. Not one request may fail, and every
 * order answered 201 must exist with its payment and its drink ticket. Each client is a customer
 * signed in before the load, with a phone of its own.
 */
const cli = fileURLToPath(new URL('../../apps/cafe/src/cli.ts', import.meta.url))
const CLIENTS = 50
const MIN_LOAD_MS = 20_000
const READ_PHONE = '01077700000'

type Sample = { kind: 'read' | 'order'; start: number; ms: number; status: number | string; id?: number }

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN
const figures = (samples: readonly Sample[]) => {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b)
  const round = (n: number) => Math.round(n)
  return `${samples.length} requests, p50 ${round(percentile(ms, 0.5))} ms, p99 ${round(percentile(ms, 0.99))} ms, max ${round(ms.at(-1) ?? Number.NaN)} ms`
}

/** `cafe restart <service>` as an operator types it, in its own process. */
async function restart(service: string, runDir: string) {
  const child = spawn(process.execPath, [cli, 'restart', service, '--run-dir', runDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  return { code, output }
}

describe('zero downtime: rolling restarts and a crash under 50 concurrent clients', {
  concurrency: false,
}, () => {
  let stores: DistributedStores
  let access: SecureAccess
  let cafe: CafeProcess
  let env: Record<string, string>
  let runDir: string
  before(async () => {
    runDir = await mkdtemp(join(tmpdir(), 'cafe-zd-'))
    stores = await distributedStores('zd')
    access = await startSecureAccess()
    env = {
      ...stores.env,
      ...access.env,
      HOST: '127.0.0.1',
      OUTBOX_POLL_MS: '200',
      // This test is about restarts, not slowness: on two busy cores a payment call may take
      // longer than the original's 610 ms, which would refuse an order for another reason.
      PAYMENT_TIMEOUT_MS: '5000',
      PAYMENT_BUDGET_MS: '10000',
      GATEWAY_UPSTREAM_TIMEOUT_MS: '30000',
    }
    cafe = await startCafe(
      ['start', '--distributed', '--replicas', 'point=2,order=2', '--run-dir', runDir],
      env,
      180_000,
    )
  })
  after(async () => {
    await cafe?.stop('SIGTERM', 60_000)
    await access?.close()
    await stores?.drop()
    await rm(runDir, { recursive: true, force: true })
  })

  // Nine processes, then five more started under load: minutes when the two cores are shared.
  test('no request fails and no order is lost while every point and order replica is replaced and one is killed', {
    timeout: 900_000,
  }, async (t) => {
    const url = cafe.url
    // Every client signs in before the load: the reader, and each orderer with a phone of its own.
    const phoneOf = (n: number) => (n % 2 === 0 ? READ_PHONE : `0107771${String(n).padStart(4, '0')}`)
    const sessions = await Promise.all(
      Array.from({ length: CLIENTS }, (_, n) => access.customer(url, phoneOf(n))),
    )
    const reader = await access.customer(url, READ_PHONE)
    // Point history for the readers: three paid orders, their points accrued.
    for (let i = 0; i < 3; i++) {
      const placed = await call(`${url}/orders`, { method: 'POST', json: menuOrder(i), headers: reader })
      assert.equal(placed.status, 201)
    }
    await waitFor(
      async () => {
        const history = await call(
          `${url}/pointHistories/search/findByPhoneNumberOrderByCreateTime?phoneNumber=${READ_PHONE}`,
          { headers: reader },
        )
        return history.body?._embedded?.pointHistories?.length === 3
      },
      30_000,
      'the seeded point history',
    )

    const samples: Sample[] = []
    let stopped = false
    const client = async (n: number) => {
      const kind = n % 2 === 0 ? 'read' : 'order'
      const headers = sessions[n] as Credentials
      for (let i = 0; !stopped; i++) {
        const start = performance.now()
        let status: number | string
        let id: number | undefined
        try {
          if (kind === 'read') {
            const answer = await call(
              `${url}/pointHistories/search/findByPhoneNumberOrderByCreateTime?phoneNumber=${READ_PHONE}`,
              { headers },
            )
            status = answer.status === 200 ? 200 : `${answer.status} ${JSON.stringify(answer.body)}`
            if (answer.status === 200 && answer.body._embedded.pointHistories.length < 3) status = 'short'
          } else {
            // No Idempotency-Key: a request that reached a replica cannot be sent again.
            const answer = await call(`${url}/orders`, { method: 'POST', json: menuOrder(n + i), headers })
            status = answer.status === 201 ? 201 : `${answer.status} ${JSON.stringify(answer.body)}`
            if (answer.status === 201) id = answer.body.id as number
          }
        } catch (error) {
          status = `${(error as Error).message} ${(error as { cause?: Error }).cause?.message ?? ''}`
        }
        samples.push({ kind, start, ms: performance.now() - start, status, ...(id !== undefined && { id }) })
        // 50 clients pausing 0.5–1.5 s: well under what two shared cores take in this mode, even
        // while replacement processes start.
        await sleep(500 + Math.random() * 1000)
      }
    }

    const began = performance.now()
    const load = Array.from({ length: CLIENTS }, (_, n) => client(n))
    const windows: Array<{ what: string; from: number; to: number }> = []
    const during = async (what: string, work: () => Promise<void>) => {
      const from = performance.now()
      await work()
      windows.push({ what, from, to: performance.now() })
    }
    let pointOutput = ''
    try {
      await sleep(2000)
      const rollOut = (service: string) =>
        during(`restart ${service}`, async () => {
          const { code, output } = await restart(service, runDir)
          assert.equal(code, 0, output)
          assert.match(output, new RegExp(`${service}: every replica replaced`))
          assert.equal(output.match(/old process \d+ exited/g)?.length, 2, output)
          if (service === 'point') pointOutput = output
        })
      await rollOut('point')
      // While order rolls out, a crash: one of the new point replicas SIGKILLed; the runner
      // brings it back on its port. (Together, not one after the other: process starts are slow
      // on two busy cores.)
      const [, pid, replicaUrl] = /new process (\d+) ready at (\S+),/.exec(pointOutput) ?? []
      assert.ok(pid && replicaUrl, pointOutput)
      const crash = during('point replica killed and restarted', async () => {
        process.kill(Number(pid), 'SIGKILL')
        await waitFor(
          async () => cafe.output().includes(`"pid":${pid},"code":null,"signal":"SIGKILL"`),
          10_000,
          "the runner's report of the crash",
        )
        await waitFor(
          async () => (await call(`${replicaUrl}/health/ready`).catch(() => undefined))?.status === 200,
          120_000,
          'the killed replica to be back',
        )
      })
      await Promise.all([rollOut('order'), crash])
      await sleep(Math.max(2000, MIN_LOAD_MS - (performance.now() - began)))
    } finally {
      stopped = true
      await Promise.all(load)
    }
    const loadMs = performance.now() - began

    const failed = samples.filter((s) => s.status !== 200 && s.status !== 201)
    const reads = samples.filter((s) => s.kind === 'read')
    const orders = samples.filter((s) => s.kind === 'order')
    const inWindow = (w: { from: number; to: number }) => (s: Sample) => s.start >= w.from && s.start <= w.to
    t.diagnostic(`load ${Math.round(loadMs)} ms, ${CLIENTS} clients; failed: ${failed.length}`)
    t.diagnostic(`point history reads: ${figures(reads)}`)
    t.diagnostic(`orders: ${figures(orders)}`)
    for (const w of windows) {
      t.diagnostic(
        `${w.what} took ${Math.round(w.to - w.from)} ms; meanwhile reads ${figures(reads.filter(inWindow(w)))}; ` +
          `orders ${figures(orders.filter(inWindow(w)))}`,
      )
    }
    assert.deepEqual(
      failed.slice(0, 10).map((s) => `${s.kind} at ${Math.round(s.start - began)} ms: ${s.status}`),
      [],
      `${failed.length} of ${samples.length} requests failed; the runner said:\n${cafe.output().slice(-5000)}`,
    )
    assert.ok(reads.length > 100 && orders.length > 100, `${reads.length} reads, ${orders.length} orders`)

    // Every order answered 201 exists, paid once, with its ticket; no other order exists.
    const placed = orders.map((s) => s.id as number)
    assert.equal(new Set(placed).size, placed.length, 'an order id answered twice')
    const db = (service: string) =>
      new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${stores.database(service)}` })
    const orderDb = db('order')
    const paymentDb = db('payment')
    const drinkDb = db('drink')
    await Promise.all([orderDb.connect(), paymentDb.connect(), drinkDb.connect()])
    try {
      const ids = (rows: Array<{ id: string }>) => new Set(rows.map((r) => Number(r.id)))
      const expected = new Set(placed)
      const ordered = ids(
        (await orderDb.query(`select id from order_management where phone_number like '0107771%'`)).rows,
      )
      assert.deepEqual(
        [...ordered].filter((id) => !expected.has(id)),
        [],
        'orders whose customers were not told 201',
      )
      assert.deepEqual(
        [...expected].filter((id) => !ordered.has(id)),
        [],
        'orders answered 201 that do not exist',
      )
      const notOrdered = await orderDb.query(
        `select id, status from order_management where phone_number like '0107771%' and status <> 'Ordered'`,
      )
      assert.deepEqual(notOrdered.rows, [])
      const paid = ids(
        (
          await paymentDb.query(
            `select order_id as id from payment where phone_number like '0107771%' and status = 'PaymentApproved'`,
          )
        ).rows,
      )
      assert.deepEqual(
        [...expected].filter((id) => !paid.has(id)),
        [],
        'orders without an approved payment',
      )
      const allPayments = await paymentDb.query(
        `select count(*)::int as n from payment where phone_number like '0107771%'`,
      )
      assert.equal(allPayments.rows[0].n, expected.size, 'a payment without its order')
      const ticketed = async () =>
        (
          await drinkDb.query(
            `select order_id as id, count(*)::int as n from drink where phone_number like '0107771%' group by order_id`,
          )
        ).rows as Array<{ id: string; n: number }>
      await waitFor(async () => (await ticketed()).length === expected.size, 60_000, 'every ticket').catch(
        () => undefined,
      )
      const tickets = await ticketed()
      assert.deepEqual(
        [...expected].filter((id) => !tickets.some((r) => Number(r.id) === id)),
        [],
        'orders without a drink ticket',
      )
      assert.deepEqual(
        tickets.filter((r) => r.n !== 1),
        [],
        'orders with more than one ticket',
      )
      t.diagnostic(`${expected.size} orders placed during the restarts: each paid once and ticketed once`)
    } finally {
      await Promise.all([orderDb.end(), paymentDb.end(), drinkDb.end()])
    }
  })
})
