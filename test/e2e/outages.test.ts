import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { type Cluster, type OwnNats, startCluster, startOwnNats } from '../support/cluster.ts'
import { call, order, waitFor } from '../support/system.ts'

/**
 * Fault injection, distributed mode: a consumer down for a while, and the broker restarted in the
 * middle of a burst. Orders keep being accepted (they only need the order service, payment and
 * the outbox); once the fault ends, every paid order ends with each effect exactly once.
 */
type Placed = { id: number; amt: number; productName: string; qty: number }

async function placeMany(url: string, phoneNumber: string, count: number, from: number, concurrency = 10) {
  const placed: Placed[] = []
  const statuses: number[] = []
  let next = from
  const worker = async () => {
    while (next < from + count) {
      const i = next++
      const body = { phoneNumber, productName: `outage-${i}`, qty: 1 + (i % 3), amt: 100 * (1 + (i % 5)) }
      const answer = await call(`${url}/orders`, { method: 'POST', json: order(body) })
      statuses.push(answer.status)
      if (answer.status === 201) placed.push({ id: answer.body.id, ...body })
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { placed, statuses }
}

/** Every order has exactly one ticket with its details, and every other effect exactly once. */
async function assertExactlyOnce(url: string, phoneNumber: string, placed: readonly Placed[]) {
  const expectedPoints = placed.reduce((sum, p) => sum + Math.trunc(p.amt / 10), 0)
  await waitFor(
    async () => {
      const points = await call(`${url}/points/search/findByPhoneNumber?phoneNumber=${phoneNumber}`)
      return points.body._embedded.points[0]?.point === expectedPoints
    },
    30_000,
    `${expectedPoints} points`,
  )
  for (const p of placed) {
    const drinks = await waitFor(async () => {
      const found = (await call(`${url}/drinks/search/findByOrderId?orderId=${p.id}`)).body._embedded.drinks
      return found.length > 0 && found
    }, 30_000)
    assert.equal(drinks.length, 1, `order ${p.id}: one ticket`)
    assert.deepEqual(
      [drinks[0].productName, drinks[0].qty, drinks[0].phoneNumber],
      [p.productName, p.qty, phoneNumber],
    )
  }
  const pages = await waitFor(async () => {
    const rows = (await call(`${url}/mypages/search/findByPhoneNumber?phoneNumber=${phoneNumber}`))
      .body as unknown[]
    return rows.length >= placed.length && rows
  }, 30_000)
  assert.equal(pages.length, placed.length, 'one My Page row per order')
  const notes = await waitFor(async () => {
    const found = (await call(`${url}/notifications/search/findByPhoneNumber?phoneNumber=${phoneNumber}`))
      .body._embedded.notifications as unknown[]
    return found.length >= placed.length && found
  }, 30_000)
  assert.equal(notes.length, placed.length, 'one notification per order')
  const history = (
    await call(`${url}/pointHistories/search/findByPhoneNumberOrderByCreateTime?phoneNumber=${phoneNumber}`)
  ).body._embedded.pointHistories
  assert.equal(history.length, placed.length, 'one accrual per order')
}

describe('drink down for a while', () => {
  let cluster: Cluster
  before(async () => {
    cluster = await startCluster()
  })
  after(() => cluster?.close())

  test('40 orders while drink is down are all accepted; after it returns each has exactly one ticket', async (t) => {
    const phoneNumber = '01055510001'
    await cluster.stop('drink', 'SIGTERM')
    const { placed, statuses } = await placeMany(cluster.gatewayUrl, phoneNumber, 40, 0)
    assert.deepEqual(
      statuses.filter((s) => s !== 201),
      [],
      'every order accepted while drink was down',
    )
    const back = Date.now()
    await cluster.start('drink')
    await assertExactlyOnce(cluster.gatewayUrl, phoneNumber, placed)
    t.diagnostic(
      `40 of 40 orders accepted with drink down; all tickets ${Date.now() - back} ms after drink returned`,
    )
  })
})

describe('broker restarted in the middle of a burst', () => {
  let nats: OwnNats
  let cluster: Cluster
  before(async () => {
    nats = await startOwnNats()
    cluster = await startCluster({ natsUrl: nats.url })
  })
  after(async () => {
    await cluster?.close()
    await nats?.stop()
  })

  test('60 orders around a nats-server restart: all accepted, every effect exactly once', async (t) => {
    const phoneNumber = '01055520002'
    const first = placeMany(cluster.gatewayUrl, phoneNumber, 30, 0)
    await new Promise((r) => setTimeout(r, 100))
    const down = Date.now()
    await nats.restart()
    const outageMs = Date.now() - down
    const second = await placeMany(cluster.gatewayUrl, phoneNumber, 30, 30)
    const { placed, statuses } = await first
    const all = [...placed, ...second.placed]
    assert.deepEqual(
      [...statuses, ...second.statuses].filter((s) => s !== 201),
      [],
      'every order accepted across the broker restart',
    )
    assert.equal(all.length, 60)
    const back = Date.now()
    await assertExactlyOnce(cluster.gatewayUrl, phoneNumber, all)
    t.diagnostic(
      `broker down ${outageMs} ms; 60 of 60 orders accepted; effects complete ${Date.now() - back} ms later`,
    )
  })
})
