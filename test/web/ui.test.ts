import assert from 'node:assert/strict'
import { after, afterEach, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { ensureBuilt } from '../../apps/web/build.ts'
import { call, startInMemorySystem, waitFor } from '../support/system.ts'
import { launch, openPage, shoot, viewports } from './browser.ts'

/**
 * The screens in a real browser (the Chromium browser.ts picks) against the whole system in this process:
 * a customer on a phone, a barista at a counter tablet, each in a browser context of its own.
 */
const STAFF_TOKEN = 'counter-7-token-for-the-browser'
let system: Awaited<ReturnType<typeof startInMemorySystem>>
let browser: Browser
const errors: string[][] = []

before(async () => {
  await ensureBuilt()
  system = await startInMemorySystem({ OPEN_API: 'true', STAFF_TOKEN, QUEUE_DEFAULT_MAKE_SECONDS: '150' })
  browser = await launch()
})
after(async () => {
  await browser?.close()
  await system?.stop()
})
afterEach(() => {
  const seen = errors.splice(0).flat()
  assert.deepEqual(seen, [], 'no console errors')
})

async function device(viewport = viewports.phone) {
  const opened = await openPage(browser, { viewport })
  errors.push(opened.errors)
  return opened.page
}

const staff = { authorization: `Bearer ${STAFF_TOKEN}` }
const place = (phoneNumber: string, productName = '아메리카노', amt = 4500) =>
  call(`${system.url}/orders`, { method: 'POST', json: { phoneNumber, productName, qty: 1, amt } })
const ticketOf = (orderId: number) =>
  waitFor(
    async () =>
      (await call(`${system.url}/drinks/search/findByOrderId?orderId=${orderId}`, { headers: staff })).body
        ._embedded.drinks[0],
  )

async function myPage(phone: string, viewport = viewports.phone): Promise<Page> {
  const page = await device(viewport)
  await page.goto(`${system.url}/#/mypage`)
  await page.getByLabel('휴대폰 번호').fill(phone)
  await page.getByRole('button', { name: '조회' }).click()
  await page.getByText('실시간 연결됨').waitFor()
  return page
}
const balance = (page: Page, text: string) => page.getByTestId('balance').getByText(text, { exact: true })
const card = (page: Page, orderId: number) => page.locator(`li.order-card[data-order="${orderId}"]`)

describe('a drink from order to pick-up', () => {
  test('the customer orders; the barista accepts and finishes; My Page follows each step without a reload', async () => {
    const customer = await device()
    await customer.goto(`${system.url}/`)
    await customer.getByLabel('카페라테').check()
    await customer.getByRole('button', { name: '한 잔 더하기' }).click()
    await customer.getByLabel('휴대폰 번호').fill('010-7000-0001')
    await customer.getByText('합계 10,000원').waitFor()
    await customer.getByText('예상 대기 약 3분').waitFor()
    await shoot(customer, 'customer-order')
    await customer.getByRole('button', { name: '주문하고 결제하기' }).click()
    await customer.getByText(/주문 #\d+ 완료: 카페라테 2잔, 10,000원/).waitFor()
    const orderId = Number(/#(\d+)/.exec((await customer.locator('.placed p').textContent()) ?? '')?.[1])
    await customer.getByRole('link', { name: '마이페이지에서 진행 상황 보기' }).click()
    // Marks this document: a reload would lose it.
    await customer.evaluate(() => Object.assign(globalThis, { sameDocument: true }))
    const order = card(customer, orderId)
    await order.getByText('주문 완료').first().waitFor()
    await order.getByText(/대기 1번째 · 약 3분/).waitFor()
    await customer.getByText('+1,000').waitFor()
    await customer.getByText('Your Order is Ordered').waitFor()

    const barista = await device(viewports.tablet)
    await barista.goto(`${system.url}/barista`)
    await barista.getByText('바리스타 화면은 직원 토큰이 있어야 열립니다.').waitFor()
    await barista.getByLabel('직원 토큰').fill('not-it')
    await barista.getByRole('button', { name: '확인' }).click()
    await barista.getByText('직원 토큰이 올바르지 않습니다.').waitFor()
    await barista.getByLabel('직원 토큰').fill(STAFF_TOKEN)
    await barista.getByRole('button', { name: '확인' }).click()
    await barista.getByRole('button', { name: `접수 #${orderId} 카페라테` }).waitFor()
    // The counter screen shows the quantity and the phone's last digits, never the whole number.
    const ticket = (await barista.locator(`li.ticket[data-order="${orderId}"]`).textContent()) ?? ''
    assert.match(ticket, /카페라테 × 2/)
    assert.match(ticket, /···0001/)
    assert.doesNotMatch((await barista.content()).replaceAll('-', ''), /01070000001/)
    await shoot(barista, 'barista-board')
    await barista.getByRole('button', { name: `접수 #${orderId} 카페라테` }).click()
    await order.getByText('바리스타가 만들고 있어요').waitFor()
    assert.equal(await order.getByRole('button', { name: '주문 취소' }).count(), 0, 'no cancel once started')
    await barista.getByRole('button', { name: `완료 #${orderId} 카페라테` }).click()
    await order.getByText('완료 — 가져가세요!').first().waitFor()
    await customer.getByText(/Your Order is Made/).waitFor()
    await barista.getByText(`#${orderId} 카페라테 × 2 · 완료`).waitFor()
    assert.equal(await customer.evaluate(() => (globalThis as { sameDocument?: boolean }).sameDocument), true)
    await shoot(customer, 'mypage-live')
  })
})

describe('cancelling', () => {
  test('before the barista accepts, the cancel goes through: refunded, points taken back', async () => {
    const phone = '01070000002'
    const placed = await place(phone)
    await ticketOf(placed.body.id)
    const customer = await myPage(phone)
    const order = card(customer, placed.body.id)
    await balance(customer, '450점').waitFor()
    await order.getByRole('button', { name: '주문 취소' }).click()
    await order.getByText('취소·환불 완료').waitFor()
    await balance(customer, '0점').waitFor()
    await customer.getByText('Your Payment is Canceled').waitFor()
  })

  test('a cancel the barista beats is refused, and My Page says so with the points given back', async () => {
    const phone = '01070000003'
    const placed = await place(phone, '카푸치노', 5000)
    const ticket = await ticketOf(placed.body.id)
    const customer = await myPage(phone)
    const order = card(customer, placed.body.id)
    await balance(customer, '500점').waitFor()
    // The barista accepts while the customer's cancel is on its way.
    await customer.route(`**/orders/${placed.body.id}`, async (route) => {
      const accepted = await call(`${system.url}/drinks/${ticket.id}`, {
        method: 'PATCH',
        json: { status: 'Receipted' },
        headers: staff,
      })
      assert.equal(accepted.status, 200)
      await route.continue()
    })
    await order.getByRole('button', { name: '주문 취소' }).click()
    await order.getByText('취소할 수 없습니다: 이미 제조가 시작되었습니다.').waitFor()
    await order.getByText('차감했던 포인트 500점이 복원되었습니다.').waitFor()
    await order.locator('.order-status').getByText('제조 중', { exact: true }).waitFor()
    await balance(customer, '500점').waitFor()
    await customer.getByText('Your Order is already started. You cannot cancel!!').waitFor()
  })
})

describe('input', () => {
  test('bad input is named next to its field, and nothing is sent', async () => {
    const customer = await device()
    const orders: string[] = []
    customer.on('request', (request) => {
      if (request.url().endsWith('/orders')) orders.push(request.method())
    })
    await customer.goto(`${system.url}/`)
    await customer.getByRole('button', { name: '주문하고 결제하기' }).click()
    await customer.getByText('메뉴를 골라 주세요.').waitFor()
    await customer.getByText('휴대폰 번호를 확인해 주세요 (예: 010-1234-5678).').waitFor()
    await customer.getByLabel('바닐라라테').check()
    await customer.getByLabel('수량').fill('0')
    await customer.getByLabel('휴대폰 번호').fill('02-123-4567')
    await customer.getByRole('button', { name: '주문하고 결제하기' }).click()
    await customer.getByText('수량은 1잔부터 1000잔까지입니다.').waitFor()
    assert.equal(await customer.getByLabel('휴대폰 번호').getAttribute('aria-invalid'), 'true')
    assert.equal(
      await customer.evaluate(() => (globalThis as any).document.activeElement?.id),
      'qty',
      'focus on the first problem',
    )
    assert.deepEqual(orders, [])
  })

  test('a double click orders once: the button waits, the key is the same', async () => {
    const customer = await device()
    await customer.goto(`${system.url}/`)
    await customer.getByLabel('콜드브루').check()
    await customer.getByLabel('휴대폰 번호').fill('01070000004')
    await customer.getByRole('button', { name: '주문하고 결제하기' }).dblclick()
    await customer.getByText(/주문 #\d+ 완료/).waitFor()
    await new Promise((r) => setTimeout(r, 500))
    const pages = await waitFor(async () => {
      const answer = await call(`${system.url}/mypages/search/findByPhoneNumber?phoneNumber=01070000004`)
      return answer.body.length > 0 && answer.body
    })
    assert.equal(pages.length, 1)
  })
})

describe('languages and screens', () => {
  test('English on request, remembered; the board and My Page fit a tablet', async () => {
    const customer = await device()
    await customer.goto(`${system.url}/`)
    await customer.getByRole('button', { name: 'English' }).click()
    await customer.getByRole('button', { name: 'Order and pay' }).waitFor()
    assert.equal(await customer.evaluate(() => (globalThis as any).document.documentElement.lang), 'en')
    await customer.getByLabel('Caffè latte').check()
    await customer.getByLabel('Mobile number').fill('010-7000-0005')
    await customer.getByText('Total ₩5,000').waitFor()
    await shoot(customer, 'customer-order-en')
    await customer.reload()
    await customer.getByRole('button', { name: 'Order and pay' }).waitFor()

    const tablet = await myPage('01070000001', viewports.tablet)
    await tablet.getByText('Your Order is Made').waitFor()
    await shoot(tablet, 'mypage-tablet')
    const barista = await device(viewports.phone)
    await barista.goto(`${system.url}/barista`)
    await barista.getByLabel('직원 토큰').fill(STAFF_TOKEN)
    await barista.keyboard.press('Enter')
    await barista.getByText('최근 처리').waitFor()
    await barista
      .getByText(/취소되었습니다/)
      .first()
      .waitFor()
    await shoot(barista, 'barista-phone')
  })

  test('the order screen works from the keyboard alone', async () => {
    const customer = await device()
    await customer.goto(`${system.url}/`)
    await customer.getByLabel('아메리카노').waitFor()
    const focused = async () =>
      customer.evaluate(
        () =>
          (globalThis as any).document.activeElement?.textContent ||
          (globalThis as any).document.activeElement?.id,
      )
    await customer.keyboard.press('Tab') // skip link
    assert.equal(await focused(), '본문으로 건너뛰기')
    await customer.keyboard.press('Tab') // language
    await customer.keyboard.press('Tab') // 주문하기
    await customer.keyboard.press('Tab') // 마이페이지
    await customer.keyboard.press('Tab') // the menu
    await customer.keyboard.press('ArrowRight')
    assert.equal(await customer.getByLabel('카페라테').isChecked(), true)
    await customer.keyboard.press('Tab') // −
    await customer.keyboard.press('Tab') // quantity
    assert.equal(await focused(), 'qty')
    await customer.keyboard.press('Tab') // +
    await customer.keyboard.press('Enter')
    await customer.keyboard.press('Tab') // phone
    await customer.keyboard.type('01070000006')
    await customer.keyboard.press('Enter')
    await customer.getByText(/주문 #\d+ 완료: 카페라테 2잔, 10,000원/).waitFor()
  })
})
