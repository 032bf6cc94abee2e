import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type DistributedStores, distributedStores } from '../support/distributed.ts'
import { type CafeProcess, npmStart, startCafe } from '../support/process.ts'
import { ephemeralPorts } from '../support/system.ts'
import { originalWalkthrough } from './walkthrough.ts'

/**
 * The original README's walkthrough as it was written, against the system in open mode (`--open`):
 * no sign-in, any product name at the client's amount, lookups by any phone, the barista's routes
 * open. Real processes, as the README has them started.
 */
describe('open mode, embedded (npm start -- --open)', () => {
  let dataDir: string
  let cafe: CafeProcess
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cafe-open-'))
    cafe = await startCafe(
      ['start', '--open'],
      { ...ephemeralPorts, CAFE_DATA_DIR: dataDir },
      60_000,
      await npmStart(),
    )
  })
  after(async () => {
    await cafe?.stop('SIGKILL')
    await rm(dataDir, { recursive: true, force: true })
  })

  test("the original README's walkthrough: points, cancel, refused cancel, My Page, notifications", async () => {
    assert.match(cafe.output(), /WARNING: open mode/)
    await originalWalkthrough(cafe.url, '01099991001')
  })
})

describe('open mode, distributed (npm run start:distributed -- --open)', () => {
  let stores: DistributedStores
  let cafe: CafeProcess
  before(async () => {
    stores = await distributedStores('open')
    cafe = await startCafe(
      ['start', '--distributed', '--open'],
      { ...stores.env, HOST: '127.0.0.1' },
      60_000,
      await npmStart(),
    )
  })
  after(async () => {
    await cafe?.stop('SIGTERM')
    await stores?.drop()
  })

  test("the original README's walkthrough, with point on MariaDB", async () => {
    assert.match(cafe.output(), /WARNING: open mode/)
    await originalWalkthrough(cafe.url, '01099991002')
  })
})
