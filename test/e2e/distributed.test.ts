import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { createConnection } from 'mysql2/promise'
import pg from 'pg'
import { accepts, otherLoopback } from '../support/net.ts'
import { type CafeProcess, freePort, npmStart, startCafe } from '../support/process.ts'
import { waitFor } from '../support/system.ts'
import { placeOrders, stateOf } from './scenario.ts'
import { originalWalkthrough } from './walkthrough.ts'

const suffix = randomUUID().slice(0, 8)
const postgresServices = ['order', 'payment', 'drink', 'customercenter'] as const
const database = (service: string) => `cafe_e2e_${suffix}_${service}`
const stream = `E2E_${suffix.toUpperCase()}`

describe('distributed mode (npm run start:distributed) with real processes, PostgreSQL, MariaDB and JetStream', {
  concurrency: false,
}, () => {
  let cafe: CafeProcess
  let env: Record<string, string>
  before(async () => {
    env = {
      // The gateway on every interface, as by default; the services stay on loopback regardless.
      HOST: '0.0.0.0',
      OPEN_API: 'true',
      NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
      NATS_STREAM: stream,
      GATEWAY_PORT: String(await freePort()),
    }
    for (const service of postgresServices) {
      env[`${service.toUpperCase()}_PORT`] = String(await freePort())
      env[`${service.toUpperCase()}_DATABASE_URL`] = `postgres://postgres@127.0.0.1:5432/${database(service)}`
    }
    env.POINT_PORT = String(await freePort())
    env.POINT_DATABASE_URL = `mysql://root@127.0.0.1:3306/${database('point')}`
    cafe = await startCafe(['start', '--distributed'], env, 60_000, await npmStart())
  })
  after(async () => {
    await cafe?.stop('SIGTERM')
    const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' })
    await admin.connect()
    for (const service of postgresServices)
      await admin.query(`drop database if exists "${database(service)}" with (force)`)
    await admin.end()
    const maria = await createConnection({ host: '127.0.0.1', user: 'root' })
    await maria.query(`drop database if exists \`${database('point')}\``)
    await maria.end()
    const nc = await connect({ servers: env.NATS_URL })
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined)
    await nc.close()
  })

  let placed: number[] = []
  test('each service creates its own database; paid orders reach payment and the barista', async () => {
    placed = await placeOrders(cafe.url, 20)
    const state = await stateOf(cafe.url, placed, { waitForTickets: true })
    assert.deepEqual(state.missingPayments, [])
    assert.deepEqual(state.missingTickets, [])
    assert.deepEqual(state.duplicateTickets, [])
  })

  test("the original README's walkthrough, with point on MariaDB", async () => {
    await originalWalkthrough(cafe.url, '01099990002')
  })

  test('only the gateway is reachable beyond loopback; every service process listens on 127.0.0.1', async (t) => {
    if (!otherLoopback) return t.skip('needs a second loopback address (Linux)')
    assert.equal(await accepts(otherLoopback, Number(env.GATEWAY_PORT)), true, 'the gateway')
    for (const service of [...postgresServices, 'point']) {
      const port = Number(env[`${service.toUpperCase()}_PORT`])
      assert.equal(await accepts('127.0.0.1', port), true, service)
      assert.equal(await accepts(otherLoopback, port), false, service)
    }
  })

  test('after a graceful restart of every process nothing is lost and orders keep working', async () => {
    assert.equal(await cafe.stop('SIGTERM'), 0)
    cafe = await startCafe(['start', '--distributed'], env, 60_000, await npmStart())
    const more = await placeOrders(cafe.url, 5)
    const state = await stateOf(cafe.url, [...placed, ...more], { waitForTickets: true })
    assert.deepEqual(state.missingOrders, [])
    assert.deepEqual(state.missingPayments, [])
    assert.deepEqual(state.missingTickets, [])
    assert.deepEqual(state.duplicateTickets, [])
  })

  test('a runner killed outright takes its service processes with it', async () => {
    const runner = cafe.child.pid as number
    const services = childrenOf(runner)
    assert.equal(services.length, 6, 'one process per service and the gateway')
    process.kill(runner, 'SIGKILL')
    // Each hears its channel to the runner close and stops as on SIGTERM, instead of serving on.
    await waitFor(async () => services.every((pid) => !alive(pid)), 30_000, 'every service process to stop')
  })
})

/** Processes whose parent is `pid` (Linux: field 4 of /proc/<pid>/stat). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid
      } catch {
        return false
      }
    })
    .map(Number)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
