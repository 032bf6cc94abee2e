import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { pointsFor } from '@cafeteria/contracts'
import { type Cluster, startCluster } from '../support/cluster.ts'
import { type Credentials, type SecureAccess, startSecureAccess } from '../support/secure.ts'
import { call, waitFor } from '../support/system.ts'
import { menuOrder } from './scenario.ts'

/**
 * Fault injection, distributed mode: consumers killed with SIGKILL in the middle of a burst and
 * restarted. No event may be lost and no effect doubled: tickets, points, My Page rows and
 * notifications all exactly once.
 */
const phoneNumber = '01077770001'
let access: SecureAccess
let cluster: Cluster
let customer: Credentials
before(async () => {
  access = await startSecureAccess()
  // The faults here are the consumers'; payment gets a deadline a slow, busy machine cannot miss.
  cluster = await startCluster({
    access: access.env,
    env: { order: { PAYMENT_TIMEOUT_MS: '5000', PAYMENT_BUDGET_MS: '10000' } },
  })
  customer = await access.customer(cluster.gatewayUrl, phoneNumber)
})
after(async () => {
  await cluster?.close()
  await access?.close()
})

test('SIGKILL of consumer services mid-burst, then restart: nothing lost, nothing doubled', async (t) => {
  const url = cluster.gatewayUrl
  const placed: Array<{ id: number; amt: number }> = []
  const place = async (i: number) => {
    const answer = await call(`${url}/orders`, { method: 'POST', json: menuOrder(i), headers: customer })
    assert.equal(answer.status, 201, JSON.stringify(answer.body))
    placed.push({ id: answer.body.id, amt: answer.body.amt })
  }
  const burst = (from: number, count: number) =>
    Promise.all(Array.from({ length: count }, (_, i) => place(from + i)))

  await burst(0, 20)
  // Mid-burst: the ticket, points and My Page consumers die while their events pour in.
  const more = burst(20, 40)
  await new Promise((r) => setTimeout(r, 50))
  await Promise.all([
    cluster.stop('drink', 'SIGKILL'),
    cluster.stop('point', 'SIGKILL'),
    cluster.stop('customercenter', 'SIGKILL'),
  ])
  await more
  await burst(60, 20)
  await Promise.all([cluster.start('drink'), cluster.start('point'), cluster.start('customercenter')])
  const restarted = Date.now()

  const expectedPoints = placed.reduce((sum, p) => sum + pointsFor(p.amt), 0)
  await waitFor(
    async () => {
      const points = await call(`${url}/points/search/findByPhoneNumber?phoneNumber=${phoneNumber}`, {
        headers: customer,
      })
      return points.body._embedded.points[0]?.point === expectedPoints
    },
    30_000,
    `${expectedPoints} points`,
  )
  const pages = await waitFor(
    async () => {
      const rows = (
        await call(`${url}/mypages/search/findByPhoneNumber?phoneNumber=${phoneNumber}`, {
          headers: customer,
        })
      ).body as unknown[]
      return rows.length >= placed.length && rows
    },
    30_000,
    'every My Page row',
  )
  assert.equal(pages.length, placed.length)
  t.diagnostic(
    `${placed.length} orders, all accepted during the crash; effects complete ${Date.now() - restarted} ms after the restart`,
  )
  const notifications = await waitFor(
    async () => {
      const found = (
        await call(`${url}/notifications/search/findByPhoneNumber?phoneNumber=${phoneNumber}`, {
          headers: customer,
        })
      ).body._embedded.notifications as Array<{ orderId: number; kind: string }>
      return found.length >= placed.length && found
    },
    30_000,
    'every notification',
  )
  assert.equal(notifications.length, placed.length, 'one Ordered notification per order, none twice')
  assert.equal(new Set(notifications.map((n) => n.orderId)).size, placed.length)
  for (const { id } of placed) {
    const drinks = await waitFor(async () => {
      const found = (
        await call(`${url}/drinks/search/findByOrderId?orderId=${id}`, { headers: access.staff })
      ).body._embedded.drinks
      return found.length > 0 && found
    }, 30_000)
    assert.equal(drinks.length, 1, `order ${id} has exactly one ticket`)
  }
  const history = (
    await call(`${url}/pointHistories/search/findByPhoneNumberOrderByCreateTime?phoneNumber=${phoneNumber}`, {
      headers: customer,
    })
  ).body._embedded.pointHistories
  assert.equal(history.length, placed.length, 'one accrual per order')
})
