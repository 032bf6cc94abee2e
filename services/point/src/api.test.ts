import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  balance,
  cancelBody,
  cancelFailed,
  cancelPoint,
  history,
  ordered,
  type PointFixture,
  phone,
  request,
  startPoint,
} from './testing.ts'

/** Every test gets a point service of its own, on a fresh SQLite file. */
const withPoint = (name: string, run: (f: PointFixture) => Promise<void>) =>
  test(name, async (t) => {
    const f = await startPoint('sqlite')
    t.after(() => f.stop())
    await run(f)
  })

const assertProblem = (answer: { status: number; type: string; body: any }, status: number) => {
  assert.equal(answer.status, status)
  assert.match(answer.type, /application\/problem\+json/)
  assert.equal(answer.body.status, status)
}

describe('PATCH /points/cancelPoint (internal)', () => {
  withPoint(
    'answers the deduction with the balance after it; a hyphenated phone is the same phone',
    async (f) => {
      await f.deliver('Ordered', 8, ordered(2000))
      const answer = await cancelPoint(f.url, cancelBody(8, 2000, { phoneNumber: '010-1234-5679' }))
      assert.equal(answer.status, 200)
      assert.deepEqual(answer.body, { orderId: 8, phoneNumber: phone, point: 200, totalPoint: 0 })
    },
  )

  withPoint('the same order with other terms is a 409 conflict and changes nothing', async (f) => {
    await f.deliver('Ordered', 8, ordered(2000))
    const answer = await cancelPoint(f.url, cancelBody(8, 3000))
    assertProblem(answer, 409)
    assert.equal(answer.body.type, 'https://cafeteria.dev/problems/point-conflict')
    assertProblem(await cancelPoint(f.url, cancelBody(8, 2000, { phoneNumber: '01099990000' })), 409)
    assert.equal(await balance(f.url), 200)
    const other = await request(`${f.url}/points/search/findByPhoneNumber?phoneNumber=01099990000`)
    assert.deepEqual(other.body._embedded.points, [])
  })

  for (const [name, body] of [
    ['no orderId', { ...cancelBody(1, 500), orderId: undefined }],
    ['orderId zero', cancelBody(0, 500)],
    ['orderId as text', cancelBody(1, 500, { orderId: '1' })],
    ['a bad phone', cancelBody(1, 500, { phoneNumber: '01212345678' })],
    ['a phone with letters', cancelBody(1, 500, { phoneNumber: '010-abcd-5678' })],
    ['no phone', { ...cancelBody(1, 500), phoneNumber: undefined }],
    ['an empty product', cancelBody(1, 500, { productName: '' })],
    ['a blank product', cancelBody(1, 500, { productName: '   ' })],
    ['qty zero', cancelBody(1, 500, { qty: 0 })],
    ['qty 1.5', cancelBody(1, 500, { qty: 1.5 })],
    ['a negative amt', cancelBody(1, -500)],
    ['amt as text', cancelBody(1, 500, { amt: '500' })],
    ['amt too large', cancelBody(1, 100_000_001)],
    ['no paymentId', { ...cancelBody(1, 500), paymentId: undefined }],
    ['paymentId null', cancelBody(1, 500, { paymentId: null })],
    ['an array body', [cancelBody(1, 500)]],
    ['a string body', 'cancel'],
  ] as const) {
    withPoint(`refuses ${name} with 400 and changes nothing`, async (f) => {
      await f.deliver('Ordered', 1, ordered(500))
      assertProblem(await cancelPoint(f.url, body), 400)
      assert.equal(await balance(f.url), 50)
      assert.equal((await history(f.url)).length, 1)
    })
  }

  withPoint('refuses a body that is not JSON with 4xx', async (f) => {
    const response = await fetch(`${f.url}/points/cancelPoint`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: '{"orderId":',
    })
    assert.equal(response.status, 400)
    assert.match(response.headers.get('content-type') ?? '', /problem\+json/)
  })
})

describe('GET /points', () => {
  withPoint('findByPhoneNumber gives the balance in the HAL shape, linked to /points/{id}', async (f) => {
    await f.deliver('Ordered', 1, ordered(500))
    const answer = await request(`${f.url}/points/search/findByPhoneNumber?phoneNumber=010-1234-5679`)
    assert.equal(answer.status, 200)
    const [point] = answer.body._embedded.points
    assert.deepEqual(
      { ...point, _links: undefined },
      { id: point.id, phoneNumber: phone, point: 50, _links: undefined },
    )
    assert.ok(answer.body._links.self.href.includes('findByPhoneNumber'))
    const one = await request(`${f.url}${point._links.self.href}`)
    assert.deepEqual(one.body, { id: point.id, phoneNumber: phone, point: 50 })
  })

  withPoint('an unknown phone gives an empty collection, not 404', async (f) => {
    const answer = await request(`${f.url}/points/search/findByPhoneNumber?phoneNumber=01099990000`)
    assert.equal(answer.status, 200)
    assert.deepEqual(answer.body._embedded, { points: [] })
  })

  for (const path of [
    '/points/search/findByPhoneNumber',
    '/points/search/findByPhoneNumber?phoneNumber=',
    '/points/search/findByPhoneNumber?phoneNumber=12345',
    '/points/search/findByPhoneNumber?phoneNumber=0101234567890',
    '/points/abc',
    '/points/0',
    '/points/cancelPoint',
  ]) {
    withPoint(`GET ${path} is 400`, async (f) => assertProblem(await request(`${f.url}${path}`), 400))
  }

  withPoint('an unknown balance id is 404', async (f) =>
    assertProblem(await request(`${f.url}/points/4242`), 404),
  )
})

describe('GET /pointHistories', () => {
  withPoint('a phone history lists Order, Cancel and Restore oldest first with signed points', async (f) => {
    await f.deliver('Ordered', 1, ordered(500, { productName: 'latte', qty: 2, paymentId: 11 }))
    await f.deliver('Ordered', 2, ordered(300, { paymentId: 12 }))
    await cancelPoint(f.url, cancelBody(1, 500, { productName: 'latte', qty: 2, paymentId: 11 }))
    await f.deliver('CancelFailed', 1, cancelFailed({ productName: 'latte', qty: 2 }))
    const entries = await history(f.url, '010-1234-5679')
    assert.deepEqual(
      entries.map(({ id: _id, createTime: _time, _links: _l, ...rest }) => rest),
      [
        {
          orderId: 1,
          paymentId: 11,
          productName: 'latte',
          qty: 2,
          amt: 500,
          point: 50,
          totalPoint: 50,
          type: 'Order',
        },
        {
          orderId: 2,
          paymentId: 12,
          productName: 'coffee',
          qty: 1,
          amt: 300,
          point: 30,
          totalPoint: 80,
          type: 'Order',
        },
        {
          orderId: 1,
          paymentId: 11,
          productName: 'latte',
          qty: 2,
          amt: 500,
          point: -50,
          totalPoint: 30,
          type: 'Cancel',
        },
        {
          orderId: 1,
          paymentId: 11,
          productName: 'latte',
          qty: 2,
          amt: 500,
          point: 50,
          totalPoint: 80,
          type: 'Restore',
        },
      ],
    )
    const times = entries.map((e) => Date.parse(e.createTime))
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
    )

    const byOrder = await request(`${f.url}/pointHistories/search/findByOrderId?orderId=1`)
    assert.deepEqual(
      byOrder.body._embedded.pointHistories.map((e: any) => e.type),
      ['Order', 'Cancel', 'Restore'],
    )
    const byPayment = await request(`${f.url}/pointHistories/search/findByPaymentId?paymentId=12`)
    assert.deepEqual(
      byPayment.body._embedded.pointHistories.map((e: any) => [e.orderId, e.type]),
      [[2, 'Order']],
    )
    const one = await request(`${f.url}${entries[2]._links.self.href}`)
    assert.equal(one.status, 200)
    assert.equal(one.body.type, 'Cancel')
  })

  withPoint('unknown phones, orders and payments give empty collections', async (f) => {
    for (const path of [
      '/pointHistories/search/findByPhoneNumberOrderByCreateTime?phoneNumber=01099990000',
      '/pointHistories/search/findByOrderId?orderId=999',
      '/pointHistories/search/findByPaymentId?paymentId=999',
    ]) {
      const answer = await request(`${f.url}${path}`)
      assert.equal(answer.status, 200)
      assert.deepEqual(answer.body._embedded, { pointHistories: [] })
    }
  })

  for (const path of [
    '/pointHistories/search/findByPhoneNumberOrderByCreateTime',
    '/pointHistories/search/findByPhoneNumberOrderByCreateTime?phoneNumber=abc',
    '/pointHistories/search/findByPhoneNumberOrderByCreateTime?phoneNumber=02-123-4567',
    '/pointHistories/search/findByOrderId',
    '/pointHistories/search/findByOrderId?orderId=',
    '/pointHistories/search/findByOrderId?orderId=x',
    '/pointHistories/search/findByOrderId?orderId=-1',
    '/pointHistories/search/findByOrderId?orderId=1.5',
    '/pointHistories/search/findByPaymentId?paymentId=0',
    '/pointHistories/abc',
    '/pointHistories/0',
  ]) {
    withPoint(`GET ${path} is 400`, async (f) => assertProblem(await request(`${f.url}${path}`), 400))
  }

  withPoint('an unknown entry id is 404', async (f) =>
    assertProblem(await request(`${f.url}/pointHistories/4242`), 404),
  )
})

describe('OpenAPI', () => {
  withPoint('documents every route', async (f) => {
    const { body } = await request(`${f.url}/openapi.json`)
    for (const path of [
      '/points/cancelPoint',
      '/points/{id}',
      '/points/search/findByPhoneNumber',
      '/pointHistories/{id}',
      '/pointHistories/search/findByPhoneNumberOrderByCreateTime',
      '/pointHistories/search/findByOrderId',
      '/pointHistories/search/findByPaymentId',
    ]) {
      assert.ok(body.paths[path], `${path} is documented`)
    }
  })
})
