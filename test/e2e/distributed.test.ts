import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { accepts, otherLoopback } from '@cafeteria/platform/testing'
import { type DistributedStores, distributedStores } from '../support/distributed.ts'
import { type CafeProcess, npmStart, startCafe } from '../support/process.ts'
import { type Credentials, type SecureAccess, startSecureAccess } from '../support/secure.ts'
import { waitFor } from '../support/system.ts'
import { firstOrder, placeOrders, stateOf } from './scenario.ts'
import { signedInWalkthrough } from './walkthrough.ts'

const postgresServices = ['order', 'payment', 'drink', 'customercenter'] as const

describe('distributed mode (npm run start:distributed) with real processes, PostgreSQL, MariaDB and JetStream', {
  concurrency: false,
}, () => {
  let stores: DistributedStores
  let access: SecureAccess
  let cafe: CafeProcess
  let env: Record<string, string>
  let as: { customer: Credentials; staff: Credentials }
  before(async () => {
    stores = await distributedStores('e2e')
    access = await startSecureAccess()
    // The gateway on every interface, as by default; the services stay on loopback regardless.
    // Every process gets the secure settings: the phones' messages reach this test.
    env = { ...stores.env, ...access.env, HOST: '0.0.0.0' }
    cafe = await startCafe(['start', '--distributed'], env, 60_000, await npmStart())
    // Signed in before the first burst of orders, which comes right after a cold start as it is.
    as = { customer: await access.customer(cafe.url, '01099990003'), staff: access.staff }
  })
  after(async () => {
    await cafe?.stop('SIGTERM')
    await access?.close()
    await stores?.drop()
  })

  let placed: number[] = []
  test('each service creates its own database; paid orders reach payment and the barista', async () => {
    placed = [await firstOrder(cafe.url, as.customer), ...(await placeOrders(cafe.url, 20, as.customer))]
    const state = await stateOf(cafe.url, placed, as, { waitForTickets: true })
    assert.deepEqual(state.missingPayments, [])
    assert.deepEqual(state.missingTickets, [])
    assert.deepEqual(state.duplicateTickets, [])
  })

  test("the README's walkthrough signed in, with point on MariaDB", async () => {
    const phoneNumber = '01099990002'
    const customer = await access.customer(cafe.url, phoneNumber)
    await signedInWalkthrough(cafe.url, { phoneNumber, customer, staff: access.staff })
  })

  test('only the gateway is reachable beyond loopback; every service process listens on 127.0.0.1', async () => {
    assert.ok(otherLoopback, 'a second loopback address (127.0.0.2)')
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
    const more = await placeOrders(cafe.url, 5, as.customer)
    const state = await stateOf(cafe.url, [...placed, ...more], as, { waitForTickets: true })
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
