import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type CafeProcess, npmStart, startCafe } from '../support/process.ts'
import { ephemeralPorts } from '../support/system.ts'
import { placeOrders, stateOf } from './scenario.ts'
import { originalWalkthrough } from './walkthrough.ts'

describe('embedded mode (npm start) as a real process', { concurrency: false }, () => {
  let dataDir: string
  let cafe: CafeProcess
  const env = () => ({ ...ephemeralPorts, CAFE_DATA_DIR: dataDir })
  // What `npm start` runs: the server bundle, with the start script's heap caps.
  const start = async () => startCafe(['start'], env(), 60_000, await npmStart())
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cafe-e2e-'))
    cafe = await start()
  })
  after(async () => {
    await cafe?.stop('SIGKILL')
    await rm(dataDir, { recursive: true, force: true })
  })

  let placed: number[] = []
  test('paid orders reach payment and the barista', async () => {
    placed = await placeOrders(cafe.url, 20)
    const state = await stateOf(cafe.url, placed, { waitForTickets: true })
    assert.deepEqual(state.missingPayments, [])
    assert.deepEqual(state.missingTickets, [])
  })

  test("the original README's walkthrough: points, cancel, refused cancel, My Page, notifications", async () => {
    await originalWalkthrough(cafe.url, '01099990001')
  })

  test('a graceful stop exits 0 and a restart keeps every order, payment and ticket', async () => {
    assert.equal(await cafe.stop('SIGTERM'), 0)
    cafe = await start()
    const state = await stateOf(cafe.url, placed, { waitForTickets: false })
    assert.deepEqual(state.missingOrders, [])
    assert.deepEqual(state.missingPayments, [])
    assert.deepEqual(state.missingTickets, [])
    const more = await placeOrders(cafe.url, 1)
    assert.ok((more[0] ?? 0) > Math.max(...placed), 'ids continue after a restart')
    placed.push(...more)
  })

  test('a killed process loses no event: orders accepted just before SIGKILL still get their tickets', async () => {
    const burst = await placeOrders(cafe.url, 30)
    await cafe.stop('SIGKILL')
    cafe = await start()
    const state = await stateOf(cafe.url, burst, { waitForTickets: true })
    assert.deepEqual(state.missingOrders, [])
    assert.deepEqual(state.missingTickets, [])
    assert.deepEqual(state.duplicateTickets, [])
  })
})
