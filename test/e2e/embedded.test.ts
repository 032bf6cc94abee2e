import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type CafeProcess, npmStart, startCafe } from '../support/process.ts'
import { type Credentials, type SecureAccess, startSecureAccess } from '../support/secure.ts'
import { ephemeralPorts } from '../support/system.ts'
import { placeOrders, stateOf } from './scenario.ts'
import { signedInWalkthrough } from './walkthrough.ts'

describe('embedded mode (npm start) as a real process', { concurrency: false }, () => {
  let dataDir: string
  let access: SecureAccess
  let cafe: CafeProcess
  let as: { customer: Credentials; staff: Credentials }
  const env = () => ({ ...ephemeralPorts, ...access.env, CAFE_DATA_DIR: dataDir })
  // What `npm start` runs: the server bundle, with the start script's heap caps.
  const start = async () => startCafe(['start'], env(), 60_000, await npmStart())
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cafe-e2e-'))
    access = await startSecureAccess()
    cafe = await start()
    as = { customer: await access.customer(cafe.url, '01099990004'), staff: access.staff }
  })
  after(async () => {
    await cafe?.stop('SIGKILL')
    await access?.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  let placed: number[] = []
  test('paid orders reach payment and the barista', async () => {
    placed = await placeOrders(cafe.url, 20, as.customer)
    const state = await stateOf(cafe.url, placed, as, { waitForTickets: true })
    assert.deepEqual(state.missingPayments, [])
    assert.deepEqual(state.missingTickets, [])
  })

  test("the README's walkthrough signed in: points, cancel, refused cancel, My Page, notifications", async () => {
    const phoneNumber = '01099990001'
    const customer = await access.customer(cafe.url, phoneNumber)
    await signedInWalkthrough(cafe.url, { phoneNumber, customer, staff: access.staff })
  })

  test('a graceful stop exits 0 and a restart keeps every order, payment, ticket and session', async () => {
    assert.equal(await cafe.stop('SIGTERM'), 0)
    cafe = await start()
    const state = await stateOf(cafe.url, placed, as, { waitForTickets: false })
    assert.deepEqual(state.missingOrders, [])
    assert.deepEqual(state.missingPayments, [])
    assert.deepEqual(state.missingTickets, [])
    const more = await placeOrders(cafe.url, 1, as.customer)
    assert.ok((more[0] ?? 0) > Math.max(...placed), 'ids continue after a restart')
    placed.push(...more)
  })

  test('a killed process loses no event: orders accepted just before SIGKILL still get their tickets', async () => {
    const burst = await placeOrders(cafe.url, 30, as.customer)
    await cafe.stop('SIGKILL')
    cafe = await start()
    const state = await stateOf(cafe.url, burst, as, { waitForTickets: true })
    assert.deepEqual(state.missingOrders, [])
    assert.deepEqual(state.missingTickets, [])
    assert.deepEqual(state.duplicateTickets, [])
  })
})
