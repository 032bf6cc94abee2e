import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { ensureBuilt } from '../../apps/web/build.ts'
import { type Cluster, startCluster } from '../support/cluster.ts'
import { type SecureAccess, STAFF_TOKEN, startSecureAccess } from '../support/secure.ts'
import { call, waitFor } from '../support/system.ts'
import { launch, openPage, viewports } from './browser.ts'
import { signInPage } from './sign-in-page.ts'

/**
 * The same screens over distributed mode: a process per service, PostgreSQL, MariaDB and
 * JetStream, so the live views cross real process boundaries. In secure mode: the customer's
 * browser holds a session, the barista's screen asks for the staff token.
 */
let access: SecureAccess
let cluster: Cluster
let browser: Browser

before(async () => {
  await ensureBuilt()
  access = await startSecureAccess()
  cluster = await startCluster({ access: access.env })
  browser = await launch()
})
after(async () => {
  await browser?.close()
  await cluster?.close()
  await access?.close()
})

test('payment down: the customer is told, pays again with the same key once it is back, and one order follows live', async () => {
  const phone = '01071000001'
  const customer = await openPage(browser)
  const barista = await openPage(browser, { viewport: viewports.tablet })
  const page = customer.page
  const posts: string[] = []
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().endsWith('/orders'))
      posts.push(request.headers()['idempotency-key'] ?? '')
  })
  await page.goto(`${cluster.gatewayUrl}/`)
  await signInPage(page, access.inbox, phone)
  const customerSession = await access.customer(cluster.gatewayUrl, phone)
  await page.getByLabel('녹차라테').check()

  await cluster.stop('payment')
  await page.getByRole('button', { name: '주문하고 결제하기' }).click()
  await page.getByText(/지금은 결제를 처리할 수 없습니다/).waitFor()
  await cluster.start('payment')
  await page.getByRole('button', { name: '같은 주문 다시 결제하기' }).click()
  await page.getByText(/주문 #\d+ 완료: 녹차라테 1잔, 5,500원/).waitFor()
  assert.equal(posts.length, 2)
  assert.equal(posts[0], posts[1], 'the retry carries the first attempt’s Idempotency-Key')
  const mine = await waitFor(async () => {
    const answer = await call(`${cluster.gatewayUrl}/mypages/search/findByPhoneNumber?phoneNumber=${phone}`, {
      headers: customerSession,
    })
    return answer.body.length > 0 && answer.body
  }, 10_000)
  await new Promise((r) => setTimeout(r, 1000))
  assert.equal(
    (
      await call(`${cluster.gatewayUrl}/mypages/search/findByPhoneNumber?phoneNumber=${phone}`, {
        headers: customerSession,
      })
    ).body.length,
    1,
  )
  const orderId = mine[0].orderId as number

  await page.getByRole('link', { name: '마이페이지에서 진행 상황 보기' }).click()
  const order = page.locator(`li.order-card[data-order="${orderId}"]`)
  await order.getByText(/대기 1번째/).waitFor({ timeout: 10_000 })
  await barista.page.goto(`${cluster.gatewayUrl}/barista`)
  await barista.page.getByLabel('직원 토큰').fill(STAFF_TOKEN)
  await barista.page.getByRole('button', { name: '확인' }).click()
  await barista.page.getByRole('button', { name: `접수 #${orderId} 녹차라테` }).click({ timeout: 10_000 })
  await order.getByText('바리스타가 만들고 있어요').waitFor({ timeout: 10_000 })
  await barista.page.getByRole('button', { name: `완료 #${orderId} 녹차라테` }).click()
  await order.getByText('완료 — 가져가세요!').first().waitFor({ timeout: 10_000 })
  await page.getByText(/Your Order is Made/).waitFor({ timeout: 10_000 })
  // The browser itself logs the refused payment it was sent; nothing else may show up.
  const provoked =
    'console: Failed to load resource: the server responded with a status of 503 (Service Unavailable)'
  assert.deepEqual(
    [...customer.errors, ...barista.errors].filter((e) => e !== provoked),
    [],
  )
})
