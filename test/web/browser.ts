import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import type { PhoneInbox } from '../support/customer.ts'

export const screenshots = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))

export const viewports = {
  phone: { width: 390, height: 844 },
  tablet: { width: 1024, height: 768 },
}

/** Quiet flags for either browser: no update checks or sync traffic during a test. */
const quiet = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/**
 * The Chromium the browser tests drive, the first of: `CHROMIUM_PATH`; Debian's
 * (`apt-get install chromium`), which has the CJK fonts the README's screenshots need; else the one
 * the `@sparticuz/chromium` devDependency carries, so a machine with only Node.js and npm runs the
 * suite (it unpacks to the temp directory on first use; Latin fonts only, enough for DOM text).
 * `CAFE_SYSTEM_CHROMIUM` names the system path to look for instead of /usr/bin/chromium, so a
 * test can hide Debian's Chromium without root. Read on each call, so a test can set it first.
 */
export async function chromiumToLaunch(): Promise<{
  executablePath: string
  args: string[]
  bundled: boolean
}> {
  const system = process.env.CAFE_SYSTEM_CHROMIUM ?? '/usr/bin/chromium'
  const path = process.env.CHROMIUM_PATH ?? (executable(system) ? system : undefined)
  if (path) return { executablePath: path, args: ['--no-sandbox', '--disable-gpu', ...quiet], bundled: false }
  // Imported only here: a machine with Debian's Chromium never unpacks the bundled one.
  const { default: bundled } = await import('@sparticuz/chromium')
  const args = bundled.args.filter((arg) => !lambdaOnly.includes(arg))
  return { executablePath: await bundled.executablePath(), args: [...args, ...quiet], bundled: true }
}

/**
 * Flags of @sparticuz/chromium's set that AWS Lambda needs and a test must not have. One process for
 * every page stalls the pages opened while others hold live streams (ui.test.ts timed out from its
 * second test on); the other two would let through what Debian's Chromium blocks.
 */
const lambdaOnly = ['--single-process', '--disable-web-security', '--allow-running-insecure-content']

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Browsers running the bundled Chromium, whose pages must not become the README's screenshots. */
const fontless = new WeakSet<Browser>()

export async function launch(): Promise<Browser> {
  const { executablePath, args, bundled } = await chromiumToLaunch()
  const browser = await chromium.launch({ executablePath, args, headless: true })
  if (bundled) fontless.add(browser)
  return browser
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
 * Signs `phoneNumber` in from a page of the cafe, as the page's own script would: the code sent to
 * the phone, then exchanged for the session, whose cookie the browser keeps for every later call.
 * Returns the same session as a bearer token, for the test's own calls.
 */
export async function signInPage(
  page: Page,
  inbox: PhoneInbox,
  phoneNumber: string,
): Promise<Record<string, string>> {
  const post = (path: string, body: Record<string, string>) =>
    page.evaluate(
      async ({ path, body }) => {
        const answer = await fetch(path, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
        return { status: answer.status, body: (await answer.json()) as { token?: string } }
      },
      { path, body },
    )
  const since = inbox.messages.length
  const asked = await post('/auth/code', { phoneNumber })
  if (asked.status !== 202) throw new Error(`POST /auth/code answered ${asked.status}`)
  const code = await inbox.codeFor(phoneNumber, since)
  const session = await post('/auth/token', { phoneNumber, code })
  if (session.status !== 200) throw new Error(`POST /auth/token answered ${session.status}`)
  return { authorization: `Bearer ${session.body.token}` }
}

/**
 * The README's screenshots, retaken with `SCREENSHOTS=1 npm run test:system`. A plain test run
 * still renders the page (so a screen that cannot be captured fails) but keeps the files as they are.
 */
export async function shoot(page: Page, name: string): Promise<void> {
  const image = await page.screenshot({ fullPage: true, animations: 'disabled' })
  if (process.env.SCREENSHOTS !== '1') return
  const browser = page.context().browser()
  // Without CJK fonts every Korean label would be drawn as boxes.
  if (browser && fontless.has(browser))
    throw new Error("SCREENSHOTS=1 needs Debian's Chromium or CHROMIUM_PATH")
  mkdirSync(screenshots, { recursive: true })
  writeFileSync(`${screenshots}${name}.png`, image)
}
