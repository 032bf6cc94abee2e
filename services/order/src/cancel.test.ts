import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { order, startInMemorySystem } from '@cafeteria/cafe/testing'
import { pointsFor } from '@cafeteria/contracts'
import { call, waitFor } from '@cafeteria/platform/testing'

let system: Awaited<ReturnType<typeof startInMemorySystem>>
before(async () => {
  system = await startInMemorySystem({ OPEN_API: 'true' })
})
after(() => system.stop())

let phoneSeq = 10_000_000
/** Each test its own customer, so balances do not mix. */
const newPhone = () => `010${String(phoneSeq++).padStart(8, '0')}`

async function placeWithPoints(phoneNumber: string, amt = 500) {
  const placed = await call(`${system.url}/orders`, { method: 'POST', json: order({ phoneNumber, amt }) })
  assert.equal(placed.status, 201)
  await waitFor(async () => (await balance(phoneNumber)) >= pointsFor(amt), 5000, {
    what: 'points to accrue',
  })
  return placed.body.id as number
}

async function balance(phoneNumber: string): Promise<number> {
  const answer = await call(`${system.url}/points/search/findByPhoneNumber?phoneNumber=${phoneNumber}`)
  return answer.body._embedded.points[0]?.point ?? 0
}

const cancel = (id: number | string, body: unknown = { status: 'OrderCanceled' }) =>
  call(`${system.url}/orders/${id}`, {
    method: 'PATCH',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  })

describe('PATCH /orders/{id} (cancel)', () => {
  test('a cancel deducts the points, then the drink and the payment are cancelled', async () => {
    const phone = newPhone()
    const id = await placeWithPoints(phone)
    const answer = await cancel(id)
    assert.equal(answer.status, 200)
    assert.equal(answer.body.status, 'OrderCanceled')
    assert.equal(await balance(phone), 0)
    await waitFor(async () => {
      const payments = await call(`${system.url}/payments/search/findByOrderId?orderId=${id}`)
      return payments.body._embedded.payments[0]?.status === 'PaymentCanceled'
    })
    const drinks = await call(`${system.url}/drinks/search/findByOrderId?orderId=${id}`)
    assert.equal(drinks.body._embedded.drinks[0].status, 'DrinkCanceled')
    const history = (await call(`${system.url}/orders/${id}`)).body.history.map(
      (h: { status: string }) => h.status,
    )
    assert.deepEqual(history.slice(0, 2), ['Ordered', 'OrderCanceled'])
  })

  test('a second cancel is 409 and deducts nothing', async () => {
    const phone = newPhone()
    await placeWithPoints(phone)
    const id = await placeWithPoints(phone)
    assert.equal((await cancel(id)).status, 200)
    const again = await cancel(id)
    assert.equal(again.status, 409)
    assert.match(again.headers.get('content-type') ?? '', /problem\+json/)
    assert.equal(await balance(phone), 50)
  })

  test('50 concurrent cancels of one order deduct once', async () => {
    const phone = newPhone()
    await placeWithPoints(phone)
    const id = await placeWithPoints(phone)
    const answers = await Promise.all(Array.from({ length: 50 }, () => cancel(id)))
    const codes = answers.map((a) => a.status)
    assert.equal(codes.filter((c) => c === 200).length, 1, codes.join(','))
    assert.ok(
      codes.every((c) => c === 200 || c === 409),
      codes.join(','),
    )
    assert.equal(await balance(phone), 50)
  })

  test('a cancel after the barista started is refused: points restored, order Ordered again, no second cancel', async () => {
    const phone = newPhone()
    const id = await placeWithPoints(phone)
    const ticket = await waitFor(async () => {
      const drinks = await call(`${system.url}/drinks/search/findByOrderId?orderId=${id}`)
      return drinks.body._embedded.drinks[0]
    })
    assert.equal(
      (await call(`${system.url}/drinks/${ticket.id}`, { method: 'PATCH', json: { status: 'Receipted' } }))
        .status,
      200,
    )
    assert.equal((await cancel(id)).status, 200)
    await waitFor(async () => (await call(`${system.url}/orders/${id}`)).body.status === 'Ordered', 5000, {
      what: 'compensation',
    })
    await waitFor(async () => (await balance(phone)) === 50, 5000, { what: 'points restored' })
    const payments = await call(`${system.url}/payments/search/findByOrderId?orderId=${id}`)
    assert.equal(payments.body._embedded.payments[0].status, 'PaymentApproved')
    const again = await cancel(id)
    assert.equal(again.status, 409)
    assert.match(again.body.detail, /already started/)
    assert.equal(await balance(phone), 50)
  })

  for (const [name, body] of [
    ['another status', { status: 'Ordered' }],
    ['a misspelt status', { status: 'OrderCancelled' }],
    ['no status', {}],
    ['a numeric status', { status: 1 }],
    ['an array', ['OrderCanceled']],
    ['null', null],
  ] as const) {
    test(`${name} is 400 and changes nothing`, async () => {
      const phone = newPhone()
      const id = await placeWithPoints(phone)
      const answer = await cancel(id, body)
      assert.equal(answer.status, 400)
      assert.equal(answer.body.status, 400)
      assert.equal((await call(`${system.url}/orders/${id}`)).body.status, 'Ordered')
      assert.equal(await balance(phone), 50)
    })
  }

  test('an unknown order is 404; a malformed id is 400', async () => {
    assert.equal((await cancel(999_999)).status, 404)
    assert.equal((await cancel('abc')).status, 400)
  })
})

describe('concurrent orders for one phone', () => {
  test('50 orders at once: every one accrues, the balance is exact', async () => {
    const phone = newPhone()
    const amounts = Array.from({ length: 50 }, (_, i) => 100 * (1 + (i % 9)))
    const answers = await Promise.all(
      amounts.map((amt) =>
        call(`${system.url}/orders`, { method: 'POST', json: order({ phoneNumber: phone, amt }) }),
      ),
    )
    assert.deepEqual(
      answers.map((a) => a.status),
      amounts.map(() => 201),
    )
    const expected = amounts.reduce((sum, amt) => sum + pointsFor(amt), 0)
    await waitFor(async () => (await balance(phone)) === expected, 10_000, { what: `${expected} points` })
    const history = await call(
      `${system.url}/pointHistories/search/findByPhoneNumberOrderByCreateTime?phoneNumber=${phone}`,
    )
    assert.equal(history.body._embedded.pointHistories.length, 50)
  })
})

describe('cancel while the point service is down', () => {
  test('answers 503 with Retry-After and changes nothing', async () => {
    const phone = newPhone()
    const id = await placeWithPoints(phone)
    const point = system.running.find((s) => s.name === 'point')
    await point?.stop()
    const answer = await cancel(id)
    assert.equal(answer.status, 503)
    assert.ok(answer.headers.get('retry-after'))
    assert.match(answer.headers.get('content-type') ?? '', /problem\+json/)
    assert.equal((await call(`${system.url}/orders/${id}`)).body.status, 'Ordered')
    const drinks = await call(`${system.url}/drinks/search/findByOrderId?orderId=${id}`)
    assert.equal(drinks.body._embedded.drinks[0]?.status, 'PaymentApproved')
  })
})
