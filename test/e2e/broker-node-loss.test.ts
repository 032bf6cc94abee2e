import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { pointsFor } from '@cafeteria/contracts'
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { connectJetStream } from '../../packages/platform/src/index.ts'
import { type Cluster, type ServiceName, startCluster } from '../support/cluster.ts'
import { type NatsCluster, startNatsCluster } from '../support/nats-cluster.ts'
import { type Credentials, type SecureAccess, startSecureAccess } from '../support/secure.ts'
import { call, waitFor } from '../support/system.ts'
import { assertOncePerOrder, menuOrder } from './scenario.ts'

/**
 * Fault injection, distributed mode, on the broker: a JetStream cluster of three nats-servers of
 * the test's own, every event kept on all three (JETSTREAM_REPLICAS=3), every service given all
 * three in NATS_URL. Under a steady load of orders, cancels and barista receipts, one node is
 * SIGKILLed and brought back, then the node leading the stream. Orders keep being accepted (or
 * refused with 503 and Retry-After, changing nothing); once quiet, every accepted order has exactly
 * one payment, one ticket and one My Page row, each in the state its story ends in, the points are
 * exact, and no service found its stream lost.
 */
const PHONE = '01088860006'
/** The cluster's NATS_ACK_WAIT_MS: past it, anything unacknowledged has been redelivered. */
const ACK_WAIT_MS = 3000
const SETTLE_MS = 60_000
const backEnds: ServiceName[] = ['order', 'payment', 'drink', 'customercenter', 'point']

/** What happens to an order after it is placed: nothing, a cancel, or the barista accepting it. */
type Fate = 'kept' | 'canceled' | 'receipted'
interface Placed {
  readonly id: number
  readonly amt: number
  readonly fate: Fate
}
const fateOf = (i: number): Fate => (['kept', 'canceled', 'receipted', 'kept'] as const)[i % 4] ?? 'kept'
/** The end state of each fate, as the order, its payment, its ticket and My Page show it. */
const endState = {
  kept: { order: 'Ordered', payment: 'PaymentApproved', drink: 'PaymentApproved', page: 'Ordered' },
  canceled: {
    order: 'OrderCanceled',
    payment: 'PaymentCanceled',
    drink: 'DrinkCanceled',
    page: 'PaymentCanceled',
  },
  receipted: { order: 'Ordered', payment: 'PaymentApproved', drink: 'Receipted', page: 'Receipted' },
} as const

let nats: NatsCluster
let access: SecureAccess
let cluster: Cluster
let customer: Credentials
let admin: NatsConnection
let jsm: JetStreamManager
before(async () => {
  nats = await startNatsCluster(3)
  admin = await nats.connect()
  jsm = await jetstreamManager(admin, { timeout: 2_000 })
  access = await startSecureAccess()
  // The faults here are the broker's; payment gets a deadline a slow, busy machine cannot miss.
  cluster = await startCluster({
    access: access.env,
    natsUrl: nats.url,
    jetStreamReplicas: 3,
    env: { order: { PAYMENT_TIMEOUT_MS: '5000', PAYMENT_BUDGET_MS: '10000' } },
  })
  customer = await access.customer(cluster.gatewayUrl, PHONE)
})
after(async () => {
  await cluster?.close()
  await access?.close()
  await admin?.close()
  await nats?.stop()
})

/** The stream as the cluster sees it: its leader, and whether both followers are current. */
async function streamState(stream: string) {
  const info = await jsm.streams.info(stream).catch(() => undefined)
  const leader = info?.cluster?.leader
  const followers = info?.cluster?.replicas ?? []
  const current = Boolean(leader) && followers.length === 2 && followers.every((r) => r.current && !r.offline)
  return { leader, current, replicas: info?.config.num_replicas }
}

const streamCurrent = (stream: string) =>
  waitFor(
    async () => (await streamState(stream)).current,
    30_000,
    `stream ${stream} on three current replicas`,
  )

test('a stream kept on one server is moved to three when the services ask for three', async () => {
  const stream = `R_${crypto.randomUUID().slice(0, 8).toUpperCase()}`
  const one = await connectJetStream({ servers: nats.url, stream, replicas: 1 })
  try {
    await one.publish([{ id: 'before', type: 'Ordered', payload: '{}' }])
    assert.equal((await streamState(stream)).replicas, 1)
    const three = await connectJetStream({ servers: nats.url, stream, replicas: 3 })
    await three.close()
    assert.equal((await streamState(stream)).replicas, 3)
    await streamCurrent(stream)
    assert.equal((await jsm.streams.info(stream)).state.messages, 1, 'the stored event moved with it')
  } finally {
    await one.close()
    await jsm.streams.delete(stream).catch(() => {})
  }
})

test('SIGKILL of a NATS node, then of the stream leader, under load: orders go on, every effect exactly once', async (t) => {
  const url = cluster.gatewayUrl
  const placed: Placed[] = []
  const followUps: Promise<void>[] = []
  let refused = 0
  let running = true
  let next = 0

  const ticketOf = async (orderId: number) =>
    (await call(`${url}/drinks/search/findByOrderId?orderId=${orderId}`, { headers: access.staff })).body
      ._embedded.drinks as Array<{ id: number; status: string }>

  // The customer cancels, or the barista accepts, once the ticket is there: a cancel then runs the
  // whole saga (drink, payment, My Page) through the broker, and a receipt is never raced by one.
  const followUp = async (p: Placed) => {
    const [ticket] = await waitFor(
      async () => {
        const found = await ticketOf(p.id)
        return found.length > 0 && found
      },
      SETTLE_MS,
      `the ticket of order ${p.id}`,
    )
    if (p.fate === 'receipted') {
      const answer = await call(`${url}/drinks/${ticket?.id}`, {
        method: 'PATCH',
        json: { status: 'Receipted' },
        headers: access.staff,
      })
      assert.equal(answer.status, 200, `receipt of order ${p.id}: ${JSON.stringify(answer.body)}`)
      return
    }
    await waitFor(
      async () => {
        const answer = await call(`${url}/orders/${p.id}`, {
          method: 'PATCH',
          json: { status: 'OrderCanceled' },
          headers: customer,
        })
        if (answer.status === 503) {
          assert.ok(answer.headers.get('retry-after'), 'a 503 says when to come back')
          return false
        }
        assert.equal(answer.status, 200, `cancel of order ${p.id}: ${JSON.stringify(answer.body)}`)
        return true
      },
      SETTLE_MS,
      `the cancel of order ${p.id}`,
    )
  }

  // Two customers' worth of steady load, paced so the checks at the end stay a few hundred orders.
  const worker = async () => {
    while (running) {
      const i = next++
      const answer = await call(`${url}/orders`, { method: 'POST', json: menuOrder(i), headers: customer })
      if (answer.status === 503) {
        assert.ok(answer.headers.get('retry-after'), 'a 503 says when to come back')
        refused++
      } else {
        assert.equal(answer.status, 201, `order ${i}: ${JSON.stringify(answer.body)}`)
        const p: Placed = { id: answer.body.id, amt: answer.body.amt, fate: fateOf(i) }
        placed.push(p)
        if (p.fate !== 'kept') followUps.push(followUp(p))
      }
      await sleep(100)
    }
  }
  const load = Promise.all([worker(), worker()])
  load.catch(() => {
    running = false // the assertion itself surfaces at `await load`
  })
  const orders = async (count: number, what: string) => {
    const target = placed.length + count
    await waitFor(async () => placed.length >= target || !running, 30_000, `${count} orders ${what}`)
  }

  try {
    await streamCurrent(cluster.stream)
    await orders(10, 'with every node up')

    const { leader: firstLeader } = await streamState(cluster.stream)
    const follower = nats.names.find((n) => n !== firstLeader) as string
    await nats.kill(follower)
    await orders(10, `with ${follower} (a follower) down`)
    await nats.start(follower)
    await streamCurrent(cluster.stream)
    await orders(5, `with ${follower} back`)

    const { leader } = await streamState(cluster.stream)
    assert.ok(leader, 'the stream has a leader')
    await nats.kill(leader)
    const elected = await waitFor(
      async () => {
        const now = (await streamState(cluster.stream)).leader
        return now !== undefined && now !== leader && now
      },
      30_000,
      'a new stream leader',
    )
    await orders(10, `with ${leader} (the leader) down`)
    await nats.start(leader)
    await streamCurrent(cluster.stream)
    await orders(5, `with ${leader} back`)
    t.diagnostic(`killed ${follower} (follower), then ${leader} (leader; ${elected} took over)`)
  } finally {
    running = false
    await load
  }
  await Promise.all(followUps)

  const kept = placed.filter((p) => p.fate !== 'canceled')
  const expectedPoints = kept.reduce((sum, p) => sum + pointsFor(p.amt), 0)
  const expectedPage = new Map(placed.map((p) => [p.id, endState[p.fate].page]))
  const mine = async (path: string) =>
    (await call(`${url}${path}?phoneNumber=${PHONE}`, { headers: customer })).body
  const effects = async () => {
    const [points, history, pages] = await Promise.all([
      mine('/points/search/findByPhoneNumber'),
      mine('/pointHistories/search/findByPhoneNumberOrderByCreateTime'),
      mine('/mypages/search/findByPhoneNumber'),
    ])
    return {
      points: (points._embedded.points[0]?.point ?? 0) as number,
      history: history._embedded.pointHistories as Array<{ orderId: number; type: string }>,
      pages: pages as Array<{ orderId: number; status: string }>,
    }
  }
  await waitFor(
    async () => {
      const e = await effects()
      return (
        e.points === expectedPoints &&
        e.pages.length >= placed.length &&
        e.pages.every((page) => expectedPage.get(page.orderId) === page.status)
      )
    },
    SETTLE_MS,
    `${expectedPoints} points and ${placed.length} My Page rows in their end states`,
  )

  // Checked once quiet and again past ack_wait, so a late redelivery that doubled something shows.
  for (const round of ['quiet', `still so ${ACK_WAIT_MS} ms later`]) {
    if (round !== 'quiet') await sleep(ACK_WAIT_MS + 500)
    const e = await effects()
    assert.equal(e.points, expectedPoints, `10% of what was paid, less what was cancelled (${round})`)
    assertOncePerOrder(e.pages, placed, `one My Page row per order (${round})`)
    for (const page of e.pages)
      assert.equal(page.status, expectedPage.get(page.orderId), `order ${page.orderId}`)
    const accruals = e.history.filter((h) => h.type === 'Order')
    assertOncePerOrder(accruals, placed, `one accrual per order (${round})`)
    const deductions = e.history.filter((h) => h.type === 'Cancel')
    assertOncePerOrder(
      deductions,
      placed.filter((p) => p.fate === 'canceled'),
      `one deduction per cancel (${round})`,
    )
  }
  for (const p of placed) {
    const end = endState[p.fate]
    const [order, payments, drinks] = await Promise.all([
      call(`${url}/orders/${p.id}`, { headers: customer }),
      call(`${url}/payments/search/findByOrderId?orderId=${p.id}`, { headers: customer }),
      ticketOf(p.id),
    ])
    assert.equal(order.body.status, end.order, `order ${p.id}`)
    assert.deepEqual(
      payments.body._embedded.payments.map((x: { status: string }) => x.status),
      [end.payment],
      `order ${p.id}: one payment`,
    )
    assert.deepEqual(
      drinks.map((d) => d.status),
      [end.drink],
      `order ${p.id}: one ticket`,
    )
  }
  // Three replicas lost nothing: no service found its stream gone.
  for (const service of backEnds) {
    const ready = await call(`${cluster.url(service)}/health/ready`)
    assert.equal(ready.body.details.bus.streamLost.count, 0, `${service}: ${JSON.stringify(ready.body)}`)
  }
  const counts = Object.fromEntries(
    (['kept', 'canceled', 'receipted'] as const).map((f) => [f, placed.filter((p) => p.fate === f).length]),
  )
  t.diagnostic(`${placed.length} orders accepted (${JSON.stringify(counts)}), ${refused} refused with 503`)
})
