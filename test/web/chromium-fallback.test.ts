import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { ensureBuilt } from '../../apps/web/build.ts'
import { startInMemorySystem } from '../support/system.ts'
import { chromiumToLaunch, launch, openPage } from './browser.ts'

/**
 * A machine with only Node.js and npm: no Debian Chromium (hidden here by pointing the system path
 * at nothing) and no CHROMIUM_PATH. The browser tests must still run, on the bundled Chromium.
 */
const saved = { system: process.env.CAFE_SYSTEM_CHROMIUM, path: process.env.CHROMIUM_PATH }
let system: Awaited<ReturnType<typeof startInMemorySystem>>
let browser: Browser

before(async () => {
  process.env.CAFE_SYSTEM_CHROMIUM = '/nonexistent/chromium'
  delete process.env.CHROMIUM_PATH
  await ensureBuilt()
  system = await startInMemorySystem({ OPEN_API: 'true' })
})
after(async () => {
  await browser?.close()
  await system?.stop()
  restore('CAFE_SYSTEM_CHROMIUM', saved.system)
  restore('CHROMIUM_PATH', saved.path)
})

function restore(name: string, value: string | undefined) {
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
}

test('without a system Chromium the suite launches the bundled one and drives the order screen', async () => {
  const chosen = await chromiumToLaunch()
  assert.equal(chosen.bundled, true)
  assert.notEqual(chosen.executablePath, '/nonexistent/chromium')

  browser = await launch()
  const { page, errors } = await openPage(browser)
  await page.goto(`${system.url}/`)
  await page.getByRole('heading', { name: '카페테리아' }).waitFor()
  await page.getByLabel('카페라테').check()
  await page.getByText('합계 5,000원').waitFor()
  assert.deepEqual(errors, [], 'no console errors')
})
