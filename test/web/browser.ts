import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'

/** Debian's Chromium (`apt-get install chromium`), as STACK.md verified it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export const screenshots = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))

export const viewports = {
  phone: { width: 390, height: 844 },
  tablet: { width: 1024, height: 768 },
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

/**
 * A page that records every console error and uncaught exception, so a test can fail on any.
 * Each page gets its own context: its own storage, as a separate device would have.
 */
export async function openPage(
  browser: Browser,
  options: { viewport?: { width: number; height: number }; locale?: string } = {},
): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
  const context = await browser.newContext({
    viewport: options.viewport ?? viewports.phone,
    locale: options.locale ?? 'ko-KR',
    deviceScaleFactor: 1,
  })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`)
  })
  page.on('pageerror', (error) => errors.push(`page: ${error.message}`))
  return { page, context, errors }
}

/**
 * The README's screenshots, retaken with `SCREENSHOTS=1 npm run test:system`. A plain test run
 * still renders the page (so a screen that cannot be captured fails) but keeps the files as they are.
 */
export async function shoot(page: Page, name: string): Promise<void> {
  const image = await page.screenshot({ fullPage: true, animations: 'disabled' })
  if (process.env.SCREENSHOTS !== '1') return
  mkdirSync(screenshots, { recursive: true })
  writeFileSync(`${screenshots}${name}.png`, image)
}
