import assert from 'node:assert/strict'
import { call, order, waitFor } from '../support/system.ts'

/**
 * The original README's walkthrough, step by step, through the gateway — with its bugs fixed:
 * a refused cancel restores the points, and My Page shows every step.
 */
export async function originalWalkthrough(url: string, phoneNumber = '01012345679'): Promise<void> {
  const get = async (path: string) => (await call(`${url}${path}`)).body
  const eventually = <T>(what: string, probe: () => Promise<T | undefined | false>) =>
    waitFor(probe, 10_000, what)
  const points = async () =>
    (await get(`/points/search/findByPhoneNumber?phoneNumber=${phoneNumber}`))._embedded.points[0]?.point
  const myPage = async (orderId: number) =>
    ((await get(`/mypages/search/findByOrderId?orderId=${orderId}`)) as Array<{ status: string }>)[0]?.status
  const messages = async () =>
    (
      (await get(`/notifications/search/findByPhoneNumber?phoneNumber=${phoneNumber}`))._embedded
        .notifications as Array<{
        orderId: number
        message: string
      }>
    ).map((n) => `${n.orderId}: ${n.message}`)
  const ticketOf = async (orderId: number) =>
    (await get(`/drinks/search/findByOrderId?orderId=${orderId}`))._embedded.drinks[0]

  // Three orders of 500 won: 50 points each.
  const ids: number[] = []
  for (let i = 0; i < 3; i++) {
    const placed = await call(`${url}/orders`, {
      method: 'POST',
      json: order({ phoneNumber, productName: 'coffee', qty: 3, amt: 500 }),
    })
    assert.equal(placed.status, 201)
    assert.equal(placed.body.status, 'Ordered')
    ids.push(placed.body.id)
  }
  const [first, second, third] = ids as [number, number, number]
  await eventually('150 points', async () => (await points()) === 150)
  for (const id of ids) await eventually(`My Page of ${id}`, async () => (await myPage(id)) === 'Ordered')
  await eventually(
    'three order notifications',
    async () => (await messages()).filter((m) => m.endsWith('Your Order is Ordered')).length === 3,
  )

  // Cancel before the barista starts: points deducted at once, then drink, payment, My Page.
  const canceled = await call(`${url}/orders/${third}`, {
    method: 'PATCH',
    json: { status: 'OrderCanceled' },
  })
  assert.equal(canceled.status, 200)
  assert.equal(await points(), 100)
  await eventually(
    'payment refunded',
    async () =>
      (await get(`/payments/search/findByOrderId?orderId=${third}`))._embedded.payments[0].status ===
      'PaymentCanceled',
  )
  assert.equal((await ticketOf(third)).status, 'DrinkCanceled')
  await eventually('My Page PaymentCanceled', async () => (await myPage(third)) === 'PaymentCanceled')
  await eventually('refund notification', async () =>
    (await messages()).includes(`${third}: Your Payment is Canceled`),
  )
  const thirdHistory = (await get(`/pointHistories/search/findByOrderId?orderId=${third}`))._embedded
    .pointHistories
  assert.deepEqual(
    thirdHistory.map((h: { type: string; point: number }) => [h.type, h.point]),
    [
      ['Order', 50],
      ['Cancel', -50],
    ],
  )

  // The barista accepts the second order; a cancel now is refused and compensated.
  const ticket = await eventually('a ticket', () => ticketOf(second))
  assert.equal(
    (await call(`${url}/drinks/${ticket.id}`, { method: 'PATCH', json: { status: 'Receipted' } })).status,
    200,
  )
  await eventually('My Page Receipted', async () => (await myPage(second)) === 'Receipted')
  assert.equal(
    (await call(`${url}/orders/${second}`, { method: 'PATCH', json: { status: 'OrderCanceled' } })).status,
    200,
  )
  await eventually('order back to Ordered', async () => (await get(`/orders/${second}`)).status === 'Ordered')
  await eventually('points restored', async () => (await points()) === 100)
  await eventually('refusal notification', async () =>
    (await messages()).includes(`${second}: Your Order is already started. You cannot cancel!!`),
  )
  const secondHistory = (await get(`/pointHistories/search/findByOrderId?orderId=${second}`))._embedded
    .pointHistories
  assert.deepEqual(
    secondHistory.map((h: { type: string }) => h.type),
    ['Order', 'Cancel', 'Restore'],
  )
  assert.equal(
    (await get(`/payments/search/findByOrderId?orderId=${second}`))._embedded.payments[0].status,
    'PaymentApproved',
  )
  await eventually('My Page still Receipted', async () => (await myPage(second)) === 'Receipted')

  // The barista finishes it.
  assert.equal(
    (await call(`${url}/drinks/${ticket.id}`, { method: 'PATCH', json: { status: 'Made' } })).status,
    200,
  )
  await eventually('My Page Made', async () => (await myPage(second)) === 'Made')
  await eventually('made notification', async () =>
    (await messages()).includes(`${second}: Your Order is Made\nCome and Take it, Please!`),
  )
  assert.equal(await myPage(first), 'Ordered')
  const all = await messages()
  assert.equal(new Set(all).size, all.length, `no notification twice: ${all.join(' | ')}`)
}
