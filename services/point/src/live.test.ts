import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { order, startInMemorySystem } from '@cafeteria/cafe/testing'
import { call, openEvents, waitFor } from '@cafeteria/platform/testing'

let system: Awaited<ReturnType<typeof startInMemorySystem>>
before(async () => {
  system = await startInMemorySystem({ OPEN_API: 'true' })
})
after(() => system.stop())

describe('points pushed as Server-Sent Events', () => {
  test('the balance and history arrive at once, then with each accrual and the deduction of a cancel', async () => {
    const phone = '01044440001'
    const events = await openEvents(`${system.url}/points/stream?phoneNumber=${phone}`)
    assert.equal(events.status, 200)
    assert.deepEqual((await events.next()).data, { point: 0, history: [] })
    const placed = await call(`${system.url}/orders`, {
      method: 'POST',
      json: order({ phoneNumber: phone, amt: 5000 }),
    })
    const accrued = await events.next((e) => e.data.point === 500)
    assert.equal(accrued.event, 'points')
    assert.deepEqual(
      accrued.data.history.map((h: any) => [h.orderId, h.type, h.point, h.totalPoint]),
      [[placed.body.id, 'Order', 500, 500]],
    )
    await waitFor(
      async () =>
        (await call(`${system.url}/drinks/search/findByOrderId?orderId=${placed.body.id}`)).body._embedded
          .drinks.length === 1,
    )
    const canceled = await call(`${system.url}/orders/${placed.body.id}`, {
      method: 'PATCH',
      json: { status: 'OrderCanceled' },
    })
    assert.equal(canceled.status, 200)
    const deducted = await events.next((e) => e.data.point === 0)
    assert.deepEqual(deducted.data.history[0].type, 'Cancel')
    events.close()
  })

  test('a bad phone number is 400 problem+json', async () => {
    const answer = await call(`${system.url}/points/stream?phoneNumber=abc`)
    assert.equal(answer.status, 400)
    assert.match(answer.headers.get('content-type') ?? '', /problem\+json/)
  })
})
