import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { order, startInMemorySystem } from '@cafeteria/cafe/testing'
import { call, openEvents, waitFor } from '@cafeteria/platform/testing'

const STAFF_TOKEN = 'counter-secret-of-the-live-tests'
const STAFF = { authorization: `Bearer ${STAFF_TOKEN}` }
let system: Awaited<ReturnType<typeof startInMemorySystem>>
let drinkUrl: string
before(async () => {
  system = await startInMemorySystem({ OPEN_API: 'true', STAFF_TOKEN, QUEUE_DEFAULT_MAKE_SECONDS: '100' })
  drinkUrl = system.serviceUrl('drink')
})
after(() => system.stop())

const place = async (phoneNumber: string) =>
  (await call(`${system.url}/orders`, { method: 'POST', json: order({ phoneNumber }) })).body.id as number
const ticketOf = (orderId: number) =>
  waitFor(
    async () =>
      (await call(`${drinkUrl}/drinks/search/findByOrderId?orderId=${orderId}`, { headers: STAFF })).body
        ._embedded.drinks[0],
  )
const advance = (id: number, status: string, headers: Record<string, string> = STAFF) =>
  call(`${drinkUrl}/drinks/${id}`, { method: 'PATCH', json: { status }, headers })

describe('the queue (customers)', () => {
  test('with nothing made yet the estimate uses the default make time; a phone sees its place in line', async () => {
    const empty = await call(`${drinkUrl}/drinks/queue`)
    assert.equal(empty.status, 200)
    assert.deepEqual(empty.body, {
      waiting: 0,
      inProgress: 0,
      makeSeconds: 100,
      estimatedWaitSeconds: 100,
      orders: [],
    })
    const first = await place('01022220001')
    const second = await place('01022220002')
    await ticketOf(second)
    await ticketOf(first)
    const mine = await call(`${drinkUrl}/drinks/queue?phoneNumber=010-2222-0002`)
    assert.equal(mine.body.waiting, 2)
    assert.equal(mine.body.estimatedWaitSeconds, 300)
    assert.deepEqual(mine.body.orders, [
      { orderId: second, status: 'PaymentApproved', position: 2, estimatedWaitSeconds: 200 },
    ])
  })

  test('the stream pushes the queue again when a ticket moves, without being asked', async () => {
    const phone = '01022220003'
    const orderId = await place(phone)
    const ticket = await ticketOf(orderId)
    const events = await openEvents(`${system.url}/drinks/queue/stream?phoneNumber=${phone}`)
    assert.equal(events.status, 200)
    const now = await events.next((e) => e.data.orders.length === 1)
    assert.equal(now.event, 'queue')
    assert.equal(now.data.orders[0].status, 'PaymentApproved')
    assert.equal((await advance(ticket.id, 'Receipted')).status, 200)
    const accepted = await events.next((e) => e.data.orders[0]?.status === 'Receipted')
    assert.equal(accepted.data.orders[0].position, null)
    assert.equal((await advance(ticket.id, 'Made')).status, 200)
    const made = await events.next((e) => e.data.orders.length === 0)
    // The ticket just made was made in well under the default: the estimate follows.
    assert.ok(made.data.makeSeconds < 100, `makeSeconds ${made.data.makeSeconds}`)
    events.close()
  })

  for (const path of ['/drinks/queue?phoneNumber=12345', '/drinks/queue/stream?phoneNumber=0101234567x']) {
    test(`GET ${path} is 400`, async () => {
      const answer = await call(`${system.url}${path}`)
      assert.equal(answer.status, 400)
      assert.match(answer.headers.get('content-type') ?? '', /problem\+json/)
    })
  }
})

describe('the barista (staff token)', () => {
  test('the board and the steps are refused without the token or with a wrong one, with problem+json', async () => {
    const orderId = await place('01022220004')
    const ticket = await ticketOf(orderId)
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: STAFF_TOKEN },
    ]
    for (const headers of attempts) {
      const board = await call(`${system.url}/drinks/board/stream`, { headers })
      assert.equal(board.status, 401)
      assert.match(board.headers.get('content-type') ?? '', /problem\+json/)
      assert.equal(board.headers.get('www-authenticate'), 'Bearer realm="staff"')
      const patched = await advance(ticket.id, 'Receipted', headers)
      assert.equal(patched.status, 401)
      assert.equal(patched.body.status, 401)
    }
    assert.equal(
      (await call(`${drinkUrl}/drinks/${ticket.id}`, { headers: STAFF })).body.status,
      'PaymentApproved',
    )
  })

  test('the board lists tickets oldest first, live, and shows a cancelled one among the recent', async () => {
    const board = await openEvents(`${system.url}/drinks/board/stream`, STAFF)
    assert.equal(board.status, 200)
    const phone = '01022220005'
    const orderId = await place(phone)
    const shown = await board.next((e) =>
      e.data.tickets.some((t: { orderId: number }) => t.orderId === orderId),
    )
    const ids = shown.data.tickets.map((t: { id: number }) => t.id)
    assert.deepEqual(
      ids,
      [...ids].sort((a: number, b: number) => a - b),
    )
    assert.equal(
      shown.data.queue.waiting,
      shown.data.tickets.filter((t: any) => t.status === 'PaymentApproved').length,
    )
    await waitFor(async () => {
      const points = await call(`${system.url}/points/search/findByPhoneNumber?phoneNumber=${phone}`)
      return points.body._embedded.points[0]?.point > 0
    })
    const canceled = await call(`${system.url}/orders/${orderId}`, {
      method: 'PATCH',
      json: { status: 'OrderCanceled' },
    })
    assert.equal(canceled.status, 200)
    const after = await board.next((e) => e.data.recent.some((t: any) => t.orderId === orderId))
    assert.equal(after.data.recent.find((t: any) => t.orderId === orderId).status, 'DrinkCanceled')
    assert.ok(!after.data.tickets.some((t: any) => t.orderId === orderId))
    board.close()
  })
})

describe('staff access', () => {
  test('says whether a token is needed and whether the one sent is right, without refusing', async () => {
    const ask = (headers: Record<string, string>) => call(`${system.url}/drinks/board/access`, { headers })
    assert.deepEqual((await ask({})).body, { tokenRequired: true, granted: false })
    assert.deepEqual((await ask({ authorization: 'Bearer nope' })).body, {
      tokenRequired: true,
      granted: false,
    })
    assert.deepEqual((await ask(STAFF)).body, { tokenRequired: true, granted: true })
  })
})
