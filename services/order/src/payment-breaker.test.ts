import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { order, startInMemorySystem } from '@cafeteria/cafe/testing'
import { call } from '@cafeteria/platform/testing'

let system: Awaited<ReturnType<typeof startInMemorySystem>>
let placedId: number
before(async () => {
  // Judged after 4 calls, and open for longer than the test takes.
  system = await startInMemorySystem({
    OPEN_API: 'true',
    PAYMENT_BREAKER_MIN_CALLS: '4',
    PAYMENT_BREAKER_HALF_OPEN_MS: '60000',
  })
  const placed = await call(`${system.url}/orders`, { method: 'POST', json: order() })
  assert.equal(placed.status, 201)
  placedId = placed.body.id
  await system.running.find((s) => s.name === 'payment')?.stop()
})
after(() => system.stop())

const placeOrder = () => call(`${system.url}/orders`, { method: 'POST', json: order() })
const readiness = () => call(`${system.serviceUrl('order')}/health/ready`)

describe('POST /orders while payment is down', () => {
  test('answers 503 with Retry-After and a problem body, and no order appears', async () => {
    const answer = await placeOrder()
    assert.equal(answer.status, 503)
    assert.equal(answer.headers.get('retry-after'), '5')
    assert.match(answer.headers.get('content-type') ?? '', /problem\+json/)
    assert.match(answer.body.detail, /pay again/)
    assert.equal((await call(`${system.url}/orders/${placedId + 1}`)).status, 404)
  })

  test('after enough failures the breaker opens: answers come at once, order stays ready and serves reads', async () => {
    for (let i = 0; i < 10 && (await readiness()).body.details?.payment.state !== 'open'; i++) {
      assert.equal((await placeOrder()).status, 503)
    }
    const before = (await readiness()).body.details.payment
    assert.equal(before.state, 'open')

    for (let i = 0; i < 5; i++) {
      const answer = await placeOrder()
      assert.equal(answer.status, 503)
      assert.ok(answer.headers.get('retry-after'))
    }

    const ready = await readiness()
    assert.equal(ready.status, 200)
    assert.equal(ready.body.status, 'UP')
    const payment = ready.body.details.payment
    assert.equal(payment.state, 'open')
    assert.equal(payment.opened, 1)
    // "At once", whatever the machine's speed: while the breaker is open, the order service does
    // not even start an order: no call, no row.
    assert.equal(payment.calls, before.calls, 'refused without calling payment')
    assert.equal(ready.body.details.point.state, 'closed')

    const placed = await call(`${system.url}/orders/${placedId}`)
    assert.equal(placed.status, 200)
    assert.equal(placed.body.status, 'Ordered')
  })
})
