import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { call, order, startInMemorySystem, waitFor } from '../../../test/support/system.ts'

let system: Awaited<ReturnType<typeof startInMemorySystem>>
before(async () => {
  system = await startInMemorySystem()
})
after(() => system.stop())

describe('drink tickets', () => {
  test('each paid order becomes one waiting ticket; the queue lists them oldest first', async () => {
    const ids: number[] = []
    for (const productName of ['americano', 'latte', 'mocha']) {
      const placed = await call(`${system.url}/orders`, { method: 'POST', json: order({ productName }) })
      ids.push(placed.body.id)
    }
    const queue = await waitFor(async () => {
      const answer = await call(`${system.url}/drinks?status=PaymentApproved`)
      return answer.body._embedded.drinks.length === 3 && answer.body._embedded.drinks
    })
    assert.deepEqual(
      queue.map((d: { orderId: number; productName: string }) => [d.orderId, d.productName]),
      [
        [ids[0], 'americano'],
        [ids[1], 'latte'],
        [ids[2], 'mocha'],
      ],
    )
    const one = await call(`${system.url}/drinks/${queue[1].id}`)
    assert.equal(one.body.productName, 'latte')
    assert.equal((await call(`${system.url}/drinks?status=Made`)).body._embedded.drinks.length, 0)
  })

  test('an order with no ticket yet gives an empty collection', async () => {
    const answer = await call(`${system.url}/drinks/search/findByOrderId?orderId=777777`)
    assert.equal(answer.status, 200)
    assert.deepEqual(answer.body._embedded.drinks, [])
  })

  for (const path of [
    '/drinks?status=Brewing',
    '/drinks?size=0',
    '/drinks?size=abc',
    '/drinks?after=-1',
    '/drinks/abc',
    '/drinks/0',
    '/drinks/search/findByOrderId',
    '/drinks/search/findByOrderId?orderId=x',
  ]) {
    test(`GET ${path} is 400`, async () => {
      const answer = await call(`${system.url}${path}`)
      assert.equal(answer.status, 400)
      assert.equal(answer.body.status, 400)
    })
  }

  test('an unknown ticket is 404', async () => {
    assert.equal((await call(`${system.url}/drinks/31337`)).status, 404)
  })
})
