import assert from 'node:assert/strict'
import { pointsFor } from '@cafeteria/contracts'
import { defaultMenu } from '../../packages/contracts/src/menu.ts'
import type { Credentials } from '../support/secure.ts'
import { call, waitFor } from '../support/system.ts'

/** How a walkthrough calls: who the customer and the barista are, and what each order asks for. */
interface Caller {
  readonly phoneNumber: string
  /** The customer's and the barista's credentials: none in open mode. */
  readonly customer: Credentials
  readonly staff: Credentials
  readonly order: Record<string, unknown>
  /** What each order costs. */
  readonly amt: number
}

/**
 * The original README's walkthrough, step by step, through the gateway of a system in open mode —
 * with its bugs fixed: a refused cancel restores the points, and My Page shows every step.
 */
export const originalWalkthrough = (url: string, phoneNumber = '01012345679') =>
  walkthrough(url, {
    phoneNumber,
    customer: {},
    staff: {},
    order: { phoneNumber, productName: 'coffee', qty: 3, amt: 500 },
    amt: 500,
  })

const americano = defaultMenu.find((item) => item.id === 'americano') as (typeof defaultMenu)[number]

/**
 * The same walkthrough in secure mode: the customer signed in, each order an americano from the
 * menu at the menu's price, the barista with the staff token. Resolves with the points it leaves.
 */
export const signedInWalkthrough = (
  url: string,
  as: { phoneNumber: string; customer: Credentials; staff: Credentials },
) =>
  walkthrough(url, {
    ...as,
    order: { productId: americano.id, qty: 1, amt: americano.price },
    amt: americano.price,
  })

/** Resolves with the point balance it leaves: two of the three orders' points. */
async function walkthrough(url: string, caller: Caller): Promise<number> {
  const { phoneNumber, customer, staff } = caller
  const get = async (path: string) => (await call(`${url}${path}`, { headers: customer })).body
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
    (await call(`${url}/drinks/search/findByOrderId?orderId=${orderId}`, { headers: staff })).body._embedded
      .drinks[0]
  const each = pointsFor(caller.amt)

  // Three orders, a tenth of each amount in points (500 won and 50 points in the original).
  const ids: number[] = []
  for (let i = 0; i < 3; i++) {
    const placed = await call(`${url}/orders`, { method: 'POST', json: caller.order, headers: customer })
    assert.equal(placed.status, 201)
    assert.equal(placed.body.status, 'Ordered')
    assert.equal(placed.body.amt, caller.amt)
    ids.push(placed.body.id)
  }
  const [first, second, third] = ids as [number, number, number]
  await eventually(`${3 * each} points`, async () => (await points()) === 3 * each)
  for (const id of ids) await eventually(`My Page of ${id}`, async () => (await myPage(id)) === 'Ordered')
  await eventually(
    'three order notifications',
    async () => (await messages()).filter((m) => m.endsWith('Your Order is Ordered')).length === 3,
  )

  // Cancel before the barista starts: points deducted at once, then drink, payment, My Page.
  const canceled = await call(`${url}/orders/${third}`, {
    method: 'PATCH',
    json: { status: 'OrderCanceled' },
    headers: customer,
  })
  assert.equal(canceled.status, 200)
  assert.equal(await points(), 2 * each)
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
      ['Order', each],
      ['Cancel', -each],
    ],
  )

  // The barista accepts the second order; a cancel now is refused and compensated.
  const ticket = await eventually('a ticket', () => ticketOf(second))
  assert.equal(
    (
      await call(`${url}/drinks/${ticket.id}`, {
        method: 'PATCH',
        json: { status: 'Receipted' },
        headers: staff,
      })
    ).status,
    200,
  )
  await eventually('My Page Receipted', async () => (await myPage(second)) === 'Receipted')
  assert.equal(
    (
      await call(`${url}/orders/${second}`, {
        method: 'PATCH',
        json: { status: 'OrderCanceled' },
        headers: customer,
      })
    ).status,
    200,
  )
  await eventually('order back to Ordered', async () => (await get(`/orders/${second}`)).status === 'Ordered')
  await eventually('points restored', async () => (await points()) === 2 * each)
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
    (await call(`${url}/drinks/${ticket.id}`, { method: 'PATCH', json: { status: 'Made' }, headers: staff }))
      .status,
    200,
  )
  await eventually('My Page Made', async () => (await myPage(second)) === 'Made')
  await eventually('made notification', async () =>
    (await messages()).includes(`${second}: Your Order is Made\nCome and Take it, Please!`),
  )
  assert.equal(await myPage(first), 'Ordered')
  const all = await messages()
  assert.equal(new Set(all).size, all.length, `no notification twice: ${all.join(' | ')}`)
  return 2 * each
}
