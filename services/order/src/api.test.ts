import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { order, startInMemorySystem } from '@cafeteria/cafe/testing'
import { call, waitFor } from '@cafeteria/platform/testing'

let system: Awaited<ReturnType<typeof startInMemorySystem>>
before(async () => {
  system = await startInMemorySystem({ OPEN_API: 'true' })
})
after(() => system.stop())

const post = (body: unknown, headers: Record<string, string> = {}) =>
  call(`${system.url}/orders`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  })

describe('POST /orders', () => {
  test('places and pays an order: 201, Location, status Ordered; the payment and the ticket follow', async () => {
    const placed = await post(order())
    assert.equal(placed.status, 201)
    assert.equal(placed.body.status, 'Ordered')
    assert.equal(placed.headers.get('location'), `/orders/${placed.body.id}`)
    const id = placed.body.id
    const payments = await call(`${system.url}/payments/search/findByOrderId?orderId=${id}`)
    assert.equal(payments.body._embedded.payments[0].status, 'PaymentApproved')
    const ticket = await waitFor(async () => {
      const drinks = await call(`${system.url}/drinks/search/findByOrderId?orderId=${id}`)
      return drinks.body._embedded.drinks[0]
    })
    assert.deepEqual(
      {
        productName: ticket.productName,
        qty: ticket.qty,
        phoneNumber: ticket.phoneNumber,
        status: ticket.status,
      },
      { productName: 'coffee', qty: 3, phoneNumber: '01012345679', status: 'PaymentApproved' },
    )
    const fetched = await call(`${system.url}/orders/${id}`)
    assert.equal(fetched.status, 200)
    assert.equal(fetched.body.productName, 'coffee')
  })

  test("accepts the original's httpie form: numbers as strings, a hyphenated phone number", async () => {
    const placed = await post(order({ qty: '2', amt: '1000', phoneNumber: '010-8765-4321' }))
    assert.equal(placed.status, 201)
    assert.deepEqual([placed.body.qty, placed.body.amt, placed.body.phoneNumber], [2, 1000, '01087654321'])
  })

  test("open mode is the original's API: the client's product name and amount, up to 1000 drinks", async () => {
    const original = await post({ phoneNumber: '01012345679', productName: 'coffee', qty: 3, amt: 500 })
    assert.equal(original.status, 201)
    assert.deepEqual([original.body.productName, original.body.qty, original.body.amt], ['coffee', 3, 500])
    const many = await post(order({ qty: 1000 }))
    assert.deepEqual([many.status, many.body.qty, many.body.amt], [201, 1000, 500])
  })

  const badBodies: Array<[string, unknown]> = [
    ['missing phoneNumber', { productName: 'coffee', qty: 1, amt: 1 }],
    ['missing productName', { phoneNumber: '01012345678', qty: 1, amt: 1 }],
    ['missing qty', { phoneNumber: '01012345678', productName: 'coffee', amt: 1 }],
    ['missing amt', { phoneNumber: '01012345678', productName: 'coffee', qty: 1 }],
    ['qty as a word', order({ qty: 'three' })],
    ['fractional qty', order({ qty: 1.5 })],
    ['negative qty', order({ qty: -2 })],
    ['negative qty as text', order({ qty: '-2' })],
    ['zero qty', order({ qty: 0 })],
    ['boolean qty', order({ qty: true })],
    ['null qty', order({ qty: null })],
    ['negative amt', order({ amt: -1 })],
    ['huge amt', order({ amt: '99999999999999' })],
    ['empty productName', order({ productName: '' })],
    ['blank productName', order({ productName: '   ' })],
    ['numeric productName', order({ productName: 5 })],
    ['not a mobile number', order({ phoneNumber: '02-123-4567' })],
    ['phone with letters', order({ phoneNumber: '0101234567a' })],
    ['phoneNumber as number', order({ phoneNumber: 1012345678 })],
    ['an array body', [order()]],
    ['a string body', 'coffee please'],
    ['a number body', 42],
    ['null body', null],
  ]
  for (const [name, body] of badBodies) {
    test(`refuses ${name} with a 400 problem`, async () => {
      const answer = await post(JSON.stringify(body))
      assert.equal(answer.status, 400, JSON.stringify(answer.body))
      assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/)
      assert.equal(answer.body.status, 400)
      assert.equal(typeof answer.body.detail, 'string')
    })
  }

  test('refuses an unparsable body', async () => {
    const answer = await post('{"phoneNumber": "010')
    assert.equal(answer.status, 400)
    assert.match(answer.headers.get('content-type') ?? '', /problem\+json/)
  })

  test('refuses an empty body', async () => {
    const answer = await post('')
    assert.equal(answer.status, 400)
  })

  test('refuses a body over 64 KB with 413', async () => {
    const answer = await post(order({ productName: 'x'.repeat(70_000) }))
    assert.equal(answer.status, 413)
    assert.equal(answer.body.status, 413)
  })

  test('refuses a body that is not JSON with 415', async () => {
    const answer = await post('phoneNumber=01012345678', {
      'content-type': 'application/x-www-form-urlencoded',
    })
    assert.equal(answer.status, 415)
    assert.equal(answer.body.status, 415)
  })

  test('bad input stores and emits nothing', async () => {
    const before = await post(order({ productName: 'marker-before' }))
    for (const [, body] of badBodies) await post(JSON.stringify(body))
    const next = await post(order({ productName: 'marker-after' }))
    // Order ids are allocated only for valid orders, so nothing was stored in between.
    assert.equal(next.body.id, before.body.id + 1)
    const drinks = await call(`${system.url}/drinks?size=500`)
    const products = drinks.body._embedded.drinks.map((d: { productName: string }) => d.productName)
    assert.ok(!products.some((p: string) => p !== 'coffee' && !p.startsWith('marker-')), products.join(','))
  })
})

describe('GET /orders/{id}', () => {
  test('an unknown id is 404 with a problem body', async () => {
    const answer = await call(`${system.url}/orders/999999`)
    assert.equal(answer.status, 404)
    assert.match(answer.body.detail, /999999/)
  })
  for (const bad of ['abc', '0', '-1', '1.5', '99999999999999999999']) {
    test(`an id of "${bad}" is 400`, async () => {
      const answer = await call(`${system.url}/orders/${bad}`)
      assert.equal(answer.status, 400)
      assert.equal(answer.body.status, 400)
    })
  }
})
