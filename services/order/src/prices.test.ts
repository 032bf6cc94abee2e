import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { DomainEvent } from '@cafeteria/contracts'
import { paymentService } from '@cafeteria/payment'
import {
  type Bus,
  createLogger,
  openLocalBus,
  type RunningService,
  signSession,
  startService,
} from '@cafeteria/platform'
import { call, waitFor } from '@cafeteria/platform/testing'
import { orderService } from './index.ts'

/**
 * Prices are the server's: signed in (not open mode), an order is priced from the menu and a
 * client's amount is only checked against it. Order and payment run for real over HTTP, the
 * events they publish observed on the bus.
 */
const AUTH_SECRET = 'a-test-secret-of-at-least-32-characters'
const MENU = JSON.stringify([
  { id: 'americano', name: '아메리카노', en: 'Americano', price: 4500 },
  { name: '카페라테', price: 5000 },
  { id: 'einspanner', name: '아인슈페너', price: 6000, available: false },
])
const phoneNumber = '01055501234'
const session = signSession(Buffer.from(AUTH_SECRET), {
  phoneNumber,
  sessionId: 'prices-test',
  expiresAt: new Date(Date.now() + 3_600_000),
})
const signedIn = { authorization: `Bearer ${session}` }

let bus: Bus
let payment: RunningService
let orders: RunningService
const seen: DomainEvent[] = []
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })

before(async () => {
  bus = openLocalBus({ path: ':memory:' })
  bus.consume('observer', async (m) => {
    seen.push(JSON.parse(m.payload))
  })
  const defaults = { port: 0, databaseUrl: 'sqlite::memory:' }
  payment = await startService(paymentService, {
    env: { HOST: '127.0.0.1', AUTH_SECRET },
    bus,
    logger,
    defaults,
  })
  orders = await startService(orderService, {
    env: { HOST: '127.0.0.1', AUTH_SECRET, MENU, PAYMENT_URL: payment.url, POINT_URL: 'http://127.0.0.1:9' },
    bus,
    logger,
    defaults,
  })
})
after(async () => {
  await orders.stop()
  await payment.stop()
  await bus.close()
})

const place = (json: Record<string, unknown>) =>
  call(`${orders.url}/orders`, { method: 'POST', json, headers: signedIn })

describe('an order is priced from the menu', () => {
  test('by productId: the amount is price × qty; the order, its event and its payment carry it', async () => {
    const placed = await place({ productId: 'americano', qty: 3 })
    assert.equal(placed.status, 201, JSON.stringify(placed.body))
    assert.deepEqual(
      [placed.body.productName, placed.body.qty, placed.body.amt, placed.body.phoneNumber],
      ['아메리카노', 3, 13_500, phoneNumber],
    )
    const id = placed.body.id
    const stored = await call(`${orders.url}/orders/${id}`, { headers: signedIn })
    assert.deepEqual([stored.body.productName, stored.body.amt], ['아메리카노', 13_500])
    const ordered = await waitFor(async () => seen.find((e) => e.type === 'Ordered' && e.orderId === id))
    assert.ok(ordered.type === 'Ordered')
    assert.deepEqual(
      [ordered.data.productName, ordered.data.qty, ordered.data.amt],
      ['아메리카노', 3, 13_500],
    )
    const paid = await call(`${payment.url}/payments/search/findByOrderId?orderId=${id}`, {
      headers: signedIn,
    })
    assert.equal(paid.body._embedded.payments[0].amt, 13_500)
  })

  test('by productName (the menu’s name), with the right amount: the menu’s name is kept', async () => {
    const placed = await place({ productName: ' 카페라테 ', qty: '2', amt: '10000' })
    assert.equal(placed.status, 201, JSON.stringify(placed.body))
    assert.deepEqual([placed.body.productName, placed.body.amt], ['카페라테', 10_000])
    const byBoth = await place({ productId: 'americano', productName: '아메리카노', qty: 1, amt: 4500 })
    assert.equal(byBoth.status, 201)
  })
})

describe('refused, and nothing stored or sent', () => {
  const refusals: Array<[string, Record<string, unknown>, number, RegExp]> = [
    ['amt 0', { productId: 'americano', qty: 3, amt: 0 }, 422, /amount-mismatch/],
    ['an amount one won short', { productId: 'americano', qty: 3, amt: 13_499 }, 422, /amount-mismatch/],
    ['a huge amt', { productId: 'americano', qty: 3, amt: 1_000_000_000_000 }, 422, /amount-mismatch/],
    ['a huge amt as text', { productId: 'americano', qty: 3, amt: '99999999999999' }, 422, /amount-mismatch/],
    ['an unknown productId', { productId: 'espresso', qty: 1 }, 422, /unknown-product/],
    ['a product name not on the menu', { productName: 'coffee', qty: 3, amt: 500 }, 422, /unknown-product/],
    [
      'an id and a name of two drinks',
      { productId: 'americano', productName: '카페라테', qty: 1 },
      422,
      /unknown-product/,
    ],
    ['an unavailable drink by id', { productId: 'einspanner', qty: 1 }, 422, /product-unavailable/],
    [
      'an unavailable drink by name',
      { productName: '아인슈페너', qty: 1, amt: 6000 },
      422,
      /product-unavailable/,
    ],
    ['qty over MAX_QTY (20)', { productId: 'americano', qty: 21 }, 400, /bad-request|invalid/],
    ['qty at the open API’s cap', { productId: 'americano', qty: 1000 }, 400, /bad-request|invalid/],
    ['no product at all', { qty: 1, amt: 4500 }, 400, /bad-request|invalid/],
  ]
  for (const [name, body, status, type] of refusals) {
    test(`${name}: ${status}`, async () => {
      const answer = await place(body)
      assert.equal(answer.status, status, JSON.stringify(answer.body))
      assert.match(answer.headers.get('content-type') ?? '', /problem\+json/)
      assert.match(answer.body.type, type)
    })
  }

  test('a wrong amount is answered with the amount the menu charges', async () => {
    const answer = await place({ productId: 'americano', qty: 3, amt: 500 })
    assert.equal(answer.body.expectedAmt, 13_500)
    assert.match(answer.body.detail, /13500/)
    const qty = await place({ productId: 'americano', qty: 21 })
    assert.match(qty.body.detail, /\/qty must be a whole number from 1 to 20/)
  })

  test('none of them became an order or an event', async () => {
    const before = await place({ productId: 'americano', qty: 1 })
    for (const [, body] of refusals) await place(body)
    const next = await place({ productId: 'americano', qty: 1 })
    // Order ids are allocated only for orders that got past the checks.
    assert.equal(next.body.id, before.body.id + 1)
    await waitFor(async () => seen.some((e) => e.type === 'Ordered' && e.orderId === next.body.id))
    const amounts = seen.flatMap((e) => (e.type === 'Ordered' ? [e.data.amt] : []))
    assert.ok(
      amounts.every((amt) => [4500, 10_000, 13_500].includes(amt)),
      amounts.join(','),
    )
  })
})
