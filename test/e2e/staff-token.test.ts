import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { startCafe } from '../support/process.ts'
import { call, ephemeralPorts } from '../support/system.ts'

/** `cafe start` as a real process, outside open mode: the barista's routes are locked from the start. */
const tokenIn = (output: string) => /staff token: +(\S+)/.exec(output)?.[1]

describe('the staff token of embedded mode', { concurrency: false }, () => {
  let dataDir: string
  const env = () => ({ ...ephemeralPorts, CAFE_DATA_DIR: dataDir, CAFE_THREADS: '1' })
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cafe-staff-'))
  })
  after(() => rm(dataDir, { recursive: true, force: true }))

  let token: string | undefined
  test('the first start makes one, keeps it in the data directory and prints it', async () => {
    const cafe = await startCafe(['start'], env())
    try {
      token = tokenIn(cafe.output())
      assert.ok(token && token.length >= 24, `a strong token in the banner:\n${cafe.output()}`)
      const file = join(dataDir, 'staff-token')
      assert.match(cafe.output(), new RegExp(`kept in ${file}`))
      assert.equal((await readFile(file, 'utf8')).trim(), token)
      assert.equal((await stat(file)).mode & 0o777, 0o600)
      assert.equal((await call(`${cafe.url}/drinks`)).status, 401)
      assert.equal(
        (await call(`${cafe.url}/drinks`, { headers: { authorization: 'Bearer not-the-token-at-all-0000' } }))
          .status,
        401,
      )
      assert.equal(
        (await call(`${cafe.url}/drinks`, { headers: { authorization: `Bearer ${token}` } })).status,
        200,
      )
    } finally {
      await cafe.stop()
    }
  })

  test('a restart keeps the same token', async () => {
    const cafe = await startCafe(['start'], env())
    try {
      assert.equal(tokenIn(cafe.output()), token)
      assert.equal(
        (await call(`${cafe.url}/drinks`, { headers: { authorization: `Bearer ${token}` } })).status,
        200,
      )
    } finally {
      await cafe.stop()
    }
  })

  test('a token of one’s own is used and not printed; a short one stops the start', async () => {
    const own = 'the-counter-token-of-our-own'
    const cafe = await startCafe(['start'], { ...env(), STAFF_TOKEN: own })
    try {
      assert.equal(tokenIn(cafe.output()), undefined)
      assert.equal(
        (await call(`${cafe.url}/drinks`, { headers: { authorization: `Bearer ${own}` } })).status,
        200,
      )
    } finally {
      await cafe.stop()
    }
    await assert.rejects(
      startCafe(['start'], { ...env(), STAFF_TOKEN: 'short-token' }),
      /exited with 1[\s\S]*STAFF_TOKEN: must be at least 24 characters/,
    )
  })

  test('open mode takes no token: the staff routes are open, as in the original', async () => {
    const cafe = await startCafe(['start', '--open'], env())
    try {
      assert.equal(tokenIn(cafe.output()), undefined)
      assert.equal((await call(`${cafe.url}/drinks`)).status, 200)
    } finally {
      await cafe.stop()
    }
  })
})
