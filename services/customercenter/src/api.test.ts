import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { waitFor } from '@cafeteria/platform/testing'
import { eventsOf, type Harness, PHONE, settled, startCustomercenter } from './testing.ts'

const OTHER_PHONE = '01198765432'

describe('My Page and notifications API', () => {
  let cc: Harness
  before(async () => {
    cc = await startCustomercenter()
    const made = eventsOf(11, PHONE, 'americano')
    const refunded = eventsOf(12, PHONE, 'latte')
    const other = eventsOf(13, OTHER_PHONE, 'mocha')
    await cc.publish([
      refunded('Ordered'),
      refunded('OrderCanceled'),
      refunded('DrinkCanceled'),
      refunded('PaymentCanceled'),
      made('Ordered'),
      made('Receipted'),
      made('Made'),
      other('Ordered'),
    ])
    await settled(cc, 99)
    await waitFor(async () =>
      (
        await cc.get(`/notifications/search/findByPhoneNumber?phoneNumber=${PHONE}`)
      ).body._embedded.notifications.every((n: { status: string }) => n.status === 'sent'),
    )
  })
  after(() => cc.stop())

  test("a customer's My Page is a plain array of their orders, by order id", async () => {
    const answer = await cc.get(`/mypages/search/findByPhoneNumber?phoneNumber=${PHONE}`)
    assert.equal(answer.status, 200)
    assert.match(answer.type, /application\/json/)
    assert.ok(Array.isArray(answer.body))
    assert.deepEqual(
      answer.body.map(({ id: _id, ...rest }: { id: number }) => rest),
      [
        { orderId: 11, productName: 'americano', qty: 2, amt: 900, phoneNumber: PHONE, status: 'Made' },
        {
          orderId: 12,
          productName: 'latte',
          qty: 2,
          amt: 900,
          phoneNumber: PHONE,
          status: 'PaymentCanceled',
        },
      ],
    )
  })

  test('the phone number may be written with hyphens', async () => {
    const plain = await cc.get(`/mypages/search/findByPhoneNumber?phoneNumber=${PHONE}`)
    const hyphens = await cc.get('/mypages/search/findByPhoneNumber?phoneNumber=010-1234-5679')
    assert.deepEqual(hyphens.body, plain.body)
  })

  test('a phone number with no orders gets an empty array', async () => {
    const answer = await cc.get('/mypages/search/findByPhoneNumber?phoneNumber=01055554444')
    assert.equal(answer.status, 200)
    assert.deepEqual(answer.body, [])
  })

  test('an order is found by its id, alone, and by its row id', async () => {
    const [page] = (await cc.get('/mypages/search/findByOrderId?orderId=13')).body
    assert.deepEqual(page, {
      id: page.id,
      orderId: 13,
      productName: 'mocha',
      qty: 2,
      amt: 900,
      phoneNumber: OTHER_PHONE,
      status: 'Ordered',
    })
    assert.deepEqual((await cc.get(`/mypages/${page.id}`)).body, page)
    assert.deepEqual((await cc.get('/mypages/search/findByOrderId?orderId=777')).body, [])
  })

  test("a customer's notifications, oldest first, in HAL form with their delivery status", async () => {
    const path = `/notifications/search/findByPhoneNumber?phoneNumber=${PHONE}`
    const answer = await cc.get(path)
    assert.equal(answer.status, 200)
    const notifications = answer.body._embedded.notifications
    assert.deepEqual(
      notifications.map((n: { orderId: number; kind: string }) => [n.orderId, n.kind]),
      [
        [12, 'Ordered'],
        [12, 'PaymentCanceled'],
        [11, 'Ordered'],
        [11, 'Receipted'],
        [11, 'Made'],
      ],
    )
    const [first] = notifications
    assert.deepEqual(Object.keys(first).sort(), [
      '_links',
      'attempts',
      'createTime',
      'id',
      'kind',
      'message',
      'orderId',
      'phoneNumber',
      'sentTime',
      'status',
    ])
    assert.equal(first.message, 'Your Order is Ordered')
    assert.equal(first.status, 'sent')
    assert.equal(first.attempts, 1)
    assert.equal(first._links.self.href, `/notifications/${first.id}`)
    assert.equal(answer.body._links.self.href, path)
    const times = notifications.map((n: { createTime: string }) => Date.parse(n.createTime))
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
    )

    const { _links, ...one } = first
    assert.deepEqual((await cc.get(`/notifications/${first.id}`)).body, one)
  })

  test('a phone number with no notifications gets an empty collection', async () => {
    const answer = await cc.get('/notifications/search/findByPhoneNumber?phoneNumber=010-5555-4444')
    assert.deepEqual(answer.body._embedded.notifications, [])
  })

  for (const path of ['/mypages/424242', '/notifications/424242']) {
    test(`GET ${path} is 404 with a problem body`, async () => {
      const answer = await cc.get(path)
      assert.equal(answer.status, 404)
      assert.match(answer.type, /application\/problem\+json/)
      assert.equal(answer.body.status, 404)
    })
  }

  for (const path of [
    '/mypages/search/findByPhoneNumber',
    '/mypages/search/findByPhoneNumber?phoneNumber=',
    '/mypages/search/findByPhoneNumber?phoneNumber=12345',
    '/mypages/search/findByPhoneNumber?phoneNumber=02-123-4567',
    '/mypages/search/findByPhoneNumber?phoneNumber=0101234567890',
    '/mypages/search/findByOrderId',
    '/mypages/search/findByOrderId?orderId=x',
    '/mypages/search/findByOrderId?orderId=0',
    '/mypages/search/findByOrderId?orderId=1.5',
    '/mypages/abc',
    '/mypages/0',
    '/notifications/search/findByPhoneNumber',
    '/notifications/search/findByPhoneNumber?phoneNumber=phone',
    '/notifications/abc',
  ]) {
    test(`GET ${path} is 400 with a problem body`, async () => {
      const answer = await cc.get(path)
      assert.equal(answer.status, 400)
      assert.match(answer.type, /application\/problem\+json/)
      assert.equal(answer.body.status, 400)
      assert.ok(answer.body.detail)
    })
  }

  test('the OpenAPI document lists every route', async () => {
    const paths = Object.keys((await cc.get('/openapi.json')).body.paths)
    for (const path of [
      '/mypages/search/findByPhoneNumber',
      '/mypages/search/findByOrderId',
      '/mypages/{id}',
      '/notifications/search/findByPhoneNumber',
      '/notifications/{id}',
    ]) {
      assert.ok(paths.includes(path), path)
    }
  })
})
