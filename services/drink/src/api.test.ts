import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { order, startInMemorySystem } from '@cafeteria/cafe/testing'
import { call, waitFor } from '@cafeteria/platform/testing'

let system: Awaited<ReturnType<typeof startInMemorySystem>>
before(async () => {
  system = await startInMemorySystem({ OPEN_API: 'true' })
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

describe('PATCH /drinks/{id} (barista)', () => {
  const patch = (id: number | string, body: unknown) =>
    call(`${system.url}/drinks/${id}`, {
      method: 'PATCH',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    })

  async function newTicket() {
    const placed = await call(`${system.url}/orders`, {
      method: 'POST',
      json: order({ productName: 'espresso' }),
    })
    return waitFor(async () => {
      const answer = await call(`${system.url}/drinks/search/findByOrderId?orderId=${placed.body.id}`)
      return answer.body._embedded.drinks[0] as { id: number; orderId: number }
    })
  }

  test('accept, then finish: Receipted, then Made', async () => {
    const ticket = await newTicket()
    const accepted = await patch(ticket.id, { status: 'Receipted' })
    assert.equal(accepted.status, 200)
    assert.equal(accepted.body.status, 'Receipted')
    const made = await patch(ticket.id, { status: 'Made' })
    assert.equal(made.status, 200)
    assert.equal(made.body.status, 'Made')
  })

  test('Made before Receipted, a repeat, and an unknown status are 409 and change nothing', async () => {
    const ticket = await newTicket()
    for (const status of ['Made', 'Brewing', 'DrinkCanceled', 'PaymentApproved']) {
      const answer = await patch(ticket.id, { status })
      assert.equal(answer.status, 409, status)
      assert.match(answer.headers.get('content-type') ?? '', /problem\+json/)
    }
    assert.equal((await patch(ticket.id, { status: 'Receipted' })).status, 200)
    assert.equal((await patch(ticket.id, { status: 'Receipted' })).status, 409)
    assert.equal((await call(`${system.url}/drinks/${ticket.id}`)).body.status, 'Receipted')
  })

  test('nothing moves a cancelled ticket', async () => {
    const ticket = await newTicket()
    await waitFor(async () => {
      const pts = await call(`${system.url}/points/search/findByPhoneNumber?phoneNumber=01012345679`)
      return (pts.body._embedded.points[0]?.point ?? 0) > 0
    })
    assert.equal(
      (
        await call(`${system.url}/orders/${ticket.orderId}`, {
          method: 'PATCH',
          json: { status: 'OrderCanceled' },
        })
      ).status,
      200,
    )
    await waitFor(
      async () => (await call(`${system.url}/drinks/${ticket.id}`)).body.status === 'DrinkCanceled',
    )
    assert.equal((await patch(ticket.id, { status: 'Receipted' })).status, 409)
    assert.equal((await patch(ticket.id, { status: 'Made' })).status, 409)
  })

  for (const [name, body] of [
    ['no status', {}],
    ['a numeric status', { status: 2 }],
    ['an empty status', { status: '' }],
    ['an array', ['Receipted']],
  ] as const) {
    test(`${name} is 400`, async () => {
      const answer = await patch(1, body)
      assert.equal(answer.status, 400)
      assert.equal(answer.body.status, 400)
    })
  }

  test('an unknown ticket is 404; a malformed id is 400', async () => {
    assert.equal((await patch(424242, { status: 'Receipted' })).status, 404)
    assert.equal((await patch('x', { status: 'Receipted' })).status, 400)
  })
})
