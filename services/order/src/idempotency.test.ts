import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { order, startInMemorySystem } from '@cafeteria/cafe/testing'
import { call, waitFor } from '@cafeteria/platform/testing'

let system: Awaited<ReturnType<typeof startInMemorySystem>>
before(async () => {
  system = await startInMemorySystem({ OPEN_API: 'true' })
})
after(() => system.stop())

const post = (body: unknown, key?: string) =>
  call(`${system.url}/orders`, {
    method: 'POST',
    json: body,
    headers: key === undefined ? {} : { 'idempotency-key': key },
  })

describe('POST /orders with Idempotency-Key', () => {
  test('the same key and body place one order, pay once and make one ticket', async () => {
    const body = order({ phoneNumber: '01055550001', productName: 'flat white' })
    const answers = await Promise.all([post(body, 'key-1'), post(body, 'key-1')])
    const later = await post(body, 'key-1')
    const placed = [...answers, later].filter((a) => a.status === 201)
    assert.ok(placed.length >= 2, answers.map((a) => a.status).join(','))
    assert.ok(answers.every((a) => a.status === 201 || a.status === 409))
    assert.equal(new Set(placed.map((a) => a.body.id)).size, 1)
    assert.equal(later.headers.get('idempotent-replayed'), 'true')
    const id = later.body.id
    const payments = await call(`${system.url}/payments/search/findByOrderId?orderId=${id}`)
    assert.equal(payments.body._embedded.payments.length, 1)
    await waitFor(async () => {
      const pts = await call(`${system.url}/points/search/findByPhoneNumber?phoneNumber=01055550001`)
      return pts.body._embedded.points[0]?.point === 50
    })
    const tickets = await call(`${system.url}/drinks?size=500`)
    const mine = tickets.body._embedded.drinks.filter(
      (d: { phoneNumber: string }) => d.phoneNumber === '01055550001',
    )
    assert.equal(mine.length, 1)
  })

  test('the same key with another body is 422 and places nothing', async () => {
    const first = await post(order({ phoneNumber: '01055550002' }), 'key-2')
    const other = await post(order({ phoneNumber: '01055550002', qty: 9 }), 'key-2')
    assert.equal(other.status, 422)
    assert.match(other.headers.get('content-type') ?? '', /problem\+json/)
    const next = await post(order({ phoneNumber: '01055550002' }))
    assert.equal(next.body.id, first.body.id + 1)
  })

  test('a malformed key is 400', async () => {
    const answer = await post(order(), 'k'.repeat(101))
    assert.equal(answer.status, 400)
    assert.equal(answer.body.status, 400)
  })

  test('different keys are different orders', async () => {
    const a = await post(order(), 'key-3a')
    const b = await post(order(), 'key-3b')
    assert.notEqual(a.body.id, b.body.id)
  })
})
