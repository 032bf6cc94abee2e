import assert from 'node:assert/strict'
import { after, afterEach, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { ensureBuilt } from '../../apps/web/build.ts'
import { type PhoneInbox, signIn, startPhoneInbox } from '../support/customer.ts'
import { call, startInMemorySystem, waitFor } from '../support/system.ts'
import { launch, openPage } from './browser.ts'
import { signInPage } from './sign-in-page.ts'

/** Signing in with a phone in a real browser, against the whole system with sign-in on (not open mode). */
let system: Awaited<ReturnType<typeof startInMemorySystem>>
let inbox: PhoneInbox
let browser: Browser
const errors: string[][] = []
/** Console errors a test provokes on purpose: Chromium logs every 4xx answer to a fetch. */
const expected: RegExp[] = []

before(async () => {
  await ensureBuilt()
  inbox = await startPhoneInbox()
  system = await startInMemorySystem({ OPEN_API: 'false', ...inbox.env })
  browser = await launch()
})
after(async () => {
  await browser?.close()
  await system?.stop()
  await inbox?.close()
})
afterEach(() => {
  const seen = errors.splice(0).flat()
  const allowed = expected.splice(0)
  assert.deepEqual(
    seen.filter((error) => !allowed.some((pattern) => pattern.test(error))),
    [],
    'no console errors',
  )
})

async function device() {
  const opened = await openPage(browser)
  errors.push(opened.errors)
  return opened
}
const refusedWith = (status: number) =>
  expected.push(new RegExp(`Failed to load resource: the server responded with a status of ${status}`))
const card = (page: Page, orderId: number) => page.locator(`li.order-card[data-order="${orderId}"]`)

describe('signing in with a phone', () => {
  test('My Page asks for a sign-in first; a wrong code is said beside the field; then My Page opens', async () => {
    const { page } = await device()
    await page.goto(`${system.url}/#/mypage`)
    await page.getByRole('heading', { name: '휴대폰으로 로그인' }).waitFor()
    assert.equal(await page.getByRole('link', { name: '마이페이지' }).count(), 0, 'nothing before signing in')

    await page.getByLabel('휴대폰 번호').fill('010-8000-0001')
    await page.getByRole('button', { name: '인증번호 받기' }).click()
    await page.getByText('010-8000-0001(으)로 인증번호를 보냈습니다. 5분 안에 입력해 주세요.').waitFor()
    const code = await inbox.codeFor('01080000001')
    // A new code only after a pause, counted down on the button.
    const resend = page.getByRole('button', { name: /^인증번호 다시 받기 \(0:[0-3]\d\)$/ })
    assert.equal(await resend.isDisabled(), true)

    refusedWith(401)
    const field = page.getByLabel('인증번호', { exact: true })
    await field.fill(code === '000000' ? '000001' : '000000')
    await page.getByRole('button', { name: '로그인', exact: true }).click()
    const wrong = '인증번호가 맞지 않거나 만료되었습니다. 다시 확인하거나 새 인증번호를 받아 주세요.'
    await page.locator('#signin-problem').getByText(wrong).waitFor()
    assert.equal(await field.getAttribute('aria-invalid'), 'true')
    assert.equal(await field.getAttribute('aria-describedby'), 'signin-problem')

    await field.fill(code)
    await page.getByRole('button', { name: '로그인', exact: true }).click()
    // Back where the customer was going, the page no one else's.
    await page.getByText('010-8000-0001(으)로 로그인됨').waitFor()
    await page.getByText('실시간 연결됨').waitFor()
    assert.equal(new URL(page.url()).hash, '#/mypage')
    assert.equal(await page.getByLabel('휴대폰 번호').count(), 0, 'no phone box on My Page')
  })

  test('a number over its limit waits as long as the server says, counted down', async () => {
    const { page } = await device()
    await page.route('**/auth/code', (route) =>
      route.fulfill({
        status: 429,
        headers: { 'content-type': 'application/problem+json', 'retry-after': '90' },
        body: JSON.stringify({ status: 429, title: 'Too Many Requests', detail: 'wait a little' }),
      }),
    )
    refusedWith(429)
    await page.goto(`${system.url}/`)
    await page.getByLabel('휴대폰 번호').fill('01080000002')
    await page.getByRole('button', { name: '인증번호 받기' }).click()
    await page.getByText('인증번호를 너무 여러 번 요청했습니다. 잠시 뒤에 다시 받아 주세요.').waitFor()
    const again = page.getByRole('button', { name: /^인증번호 받기 \(1:[23]\d\)$/ })
    assert.equal(await again.isDisabled(), true)
    // Another number is not held up.
    await page.getByLabel('휴대폰 번호').fill('01080000003')
    assert.equal(await page.getByRole('button', { name: '인증번호 받기', exact: true }).isEnabled(), true)
  })

  test('My Page shows the signed-in customer’s orders only', async () => {
    const order = async (phoneNumber: string) => {
      const { headers } = await signIn(system.url, inbox, phoneNumber)
      const placed = await call(`${system.url}/orders`, {
        method: 'POST',
        json: { productId: 'americano', qty: 1 },
        headers,
      })
      assert.equal(placed.status, 201)
      return placed.body.id as number
    }
    const theirs = await order('01080000005')
    const mine = await order('01080000004')
    const { page } = await device()
    await page.goto(`${system.url}/#/mypage`)
    await signInPage(page, inbox, '01080000004')
    await card(page, mine).getByText('주문 완료').waitFor()
    await page.getByText('+450').waitFor()
    assert.equal(await card(page, theirs).count(), 0, 'another customer’s order')
    assert.equal(await page.locator('li.order-card').count(), 1)
  })

  test('a session ended elsewhere asks for a sign-in at the next step, and the order goes on after it', async () => {
    const { page, context } = await device()
    await page.goto(`${system.url}/`)
    await signInPage(page, inbox, '01080000007')
    const cookie = (await context.cookies()).find((c) => c.name === 'cafe_session')
    const out = await call(`${system.url}/auth/logout`, {
      method: 'POST',
      headers: { cookie: `cafe_session=${cookie?.value}`, origin: system.url },
    })
    assert.equal(out.status, 204)

    refusedWith(401)
    await page.getByLabel('카페라테').check()
    await page.getByRole('button', { name: '주문하고 결제하기' }).click()
    await page.getByRole('alert').getByText('로그인이 끝났습니다. 다시 로그인해 주세요.').waitFor()
    await signInPage(page, inbox, '01080000007')
    await page.getByLabel('카페라테').check()
    await page.getByRole('button', { name: '주문하고 결제하기' }).click()
    await page.getByText(/주문 #\d+ 완료: 카페라테 1잔, 5,000원/).waitFor()
  })

  test('signing out goes back to the sign-in screen, in every tab, and ends the session', async () => {
    const { page, context } = await device()
    await page.goto(`${system.url}/`)
    await signInPage(page, inbox, '01080000006')
    await page.getByRole('button', { name: '주문하고 결제하기' }).waitFor()
    const other = await context.newPage()
    await other.goto(`${system.url}/#/mypage`)
    await other.getByText('010-8000-0006(으)로 로그인됨').waitFor()
    const cookie = (await context.cookies()).find((c) => c.name === 'cafe_session')
    assert.ok(cookie, 'the session cookie')

    await page.getByRole('button', { name: '로그아웃' }).click()
    await page.getByRole('heading', { name: '휴대폰으로 로그인' }).waitFor()
    await other.getByRole('heading', { name: '휴대폰으로 로그인' }).waitFor()
    assert.equal((await context.cookies()).filter((c) => c.name === 'cafe_session').length, 0)
    await page.reload()
    await page.getByRole('heading', { name: '휴대폰으로 로그인' }).waitFor()
    const session = await waitFor(async () => {
      const answer = await call(`${system.url}/auth/session`, {
        headers: { cookie: `cafe_session=${cookie.value}` },
      })
      return answer.status === 401 && answer
    })
    assert.equal(session.status, 401)
  })
})
