import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startInMemorySystem } from '@cafeteria/cafe/testing'
import { call } from '@cafeteria/platform/testing'

let system: Awaited<ReturnType<typeof startInMemorySystem>>
let payment: string
before(async () => {
  system = await startInMemorySystem({ OPEN_API: 'true' })
  payment = system.serviceUrl('payment')
})
after(() => system.stop())

const pay = (body: unknown) => call(`${payment}/payments`, { method: 'POST', json: body })

describe('POST /payments (internal)', () => {
  test('is idempotent per order id: a retry returns the same payment', async () => {
    const first = await pay({ orderId: 501, phoneNumber: '01012345678', amt: 700 })
    const again = await pay({ orderId: 501, phoneNumber: '01012345678', amt: 700 })
    assert.equal(first.status, 201)
    assert.equal(again.status, 200)
    assert.equal(again.body.id, first.body.id)
    const found = await call(`${payment}/payments/search/findByOrderId?orderId=501`)
    assert.equal(found.body._embedded.payments.length, 1)
  })

  test('the same order with other terms is a 409 conflict', async () => {
    await pay({ orderId: 502, phoneNumber: '01012345678', amt: 700 })
    const other = await pay({ orderId: 502, phoneNumber: '01012345678', amt: 900 })
    assert.equal(other.status, 409)
    assert.match(other.headers.get('content-type') ?? '', /problem\+json/)
  })

  for (const [name, body] of [
    ['no orderId', { phoneNumber: '01012345678', amt: 1 }],
    ['orderId zero', { orderId: 0, phoneNumber: '01012345678', amt: 1 }],
    ['orderId as text', { orderId: '5', phoneNumber: '01012345678', amt: 1 }],
    ['negative amt', { orderId: 5, phoneNumber: '01012345678', amt: -5 }],
    ['bad phone', { orderId: 5, phoneNumber: 'x', amt: 5 }],
    ['array body', [1]],
  ] as const) {
    test(`refuses ${name} with 400`, async () => {
      const answer = await pay(body)
      assert.equal(answer.status, 400)
      assert.equal(answer.body.status, 400)
    })
  }

  test('is not reachable through the gateway', async () => {
    const answer = await call(`${system.url}/payments`, {
      method: 'POST',
      json: { orderId: 503, phoneNumber: '01012345678', amt: 1 },
    })
    assert.equal(answer.status, 404)
    const found = await call(`${payment}/payments/search/findByOrderId?orderId=503`)
    assert.equal(found.body._embedded.payments.length, 0)
  })
})

describe('GET /payments/search/findByOrderId', () => {
  test('an unknown order gives an empty collection in the HAL shape', async () => {
    const answer = await call(`${system.url}/payments/search/findByOrderId?orderId=424242`)
    assert.equal(answer.status, 200)
    assert.deepEqual(answer.body._embedded, { payments: [] })
    assert.ok(answer.body._links.self.href)
  })
  for (const query of ['', '?orderId=', '?orderId=abc', '?orderId=-1', '?orderId=1.5']) {
    test(`a query of "${query}" is 400`, async () => {
      const answer = await call(`${system.url}/payments/search/findByOrderId${query}`)
      assert.equal(answer.status, 400)
      assert.equal(answer.body.status, 400)
    })
  }
  test('GET /payments/{id} of an unknown id is 404', async () => {
    assert.equal((await call(`${system.url}/payments/987654`)).status, 404)
  })
})
