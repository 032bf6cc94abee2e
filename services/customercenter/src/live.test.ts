import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createLogger, openLocalBus, type RunningService, startService } from '@cafeteria/platform'
import { openEvents } from '@cafeteria/platform/testing'
import { customercenterService } from './index.ts'
import { eventsOf, type Harness, PHONE, startCustomercenter } from './testing.ts'

describe('My Page pushed as Server-Sent Events', () => {
  let harness: Harness
  before(async () => {
    harness = await startCustomercenter()
  })
  after(() => harness.stop())

  test('the page comes at once, then again after each event is folded, with the messages', async () => {
    const phone = '01033330001'
    const events = await openEvents(`${harness.url}/mypages/stream?phoneNumber=010-3333-0001`)
    assert.equal(events.status, 200)
    const empty = await events.next()
    assert.equal(empty.event, 'mypage')
    assert.deepEqual(empty.data, { orders: [], notifications: [] })
    const of = eventsOf(501, phone)
    await harness.publish([of('Ordered')])
    const ordered = await events.next((e) => e.data.orders.length === 1)
    assert.deepEqual(ordered.data.orders[0], {
      orderId: 501,
      productName: 'latte',
      qty: 2,
      amt: 900,
      status: 'Ordered',
      cancelRequested: false,
      cancelRefused: false,
    })
    await events.next((e) => e.data.notifications[0]?.kind === 'Ordered')
    await harness.publish([of('Receipted')])
    await events.next((e) => e.data.orders[0].status === 'Receipted')
    await harness.publish([of('OrderCanceled'), of('CancelFailed')])
    const refused = await events.next((e) => e.data.orders[0].cancelRefused)
    assert.equal(refused.data.orders[0].status, 'Receipted')
    const told = await events.next((e) => e.data.notifications.some((n: any) => n.kind === 'CancelFailed'))
    assert.match(told.data.notifications[0].message, /cannot cancel/)
    events.close()
  })

  test("another customer's orders are not pushed", async () => {
    const events = await openEvents(`${harness.url}/mypages/stream?phoneNumber=01033330002`)
    await events.next()
    await harness.publish([eventsOf(502, '01033330003')('Ordered')])
    await new Promise((r) => setTimeout(r, 500))
    assert.equal(events.received.length, 0)
    events.close()
  })

  test('a bad phone number is 400 problem+json, not a stream', async () => {
    const answer = await harness.get('/mypages/stream?phoneNumber=1234')
    assert.equal(answer.status, 400)
    assert.match(answer.type, /problem\+json/)
  })
})

describe('two replicas of one database', () => {
  let a: Harness
  let b: RunningService
  let busOfB: ReturnType<typeof openLocalBus>
  before(async () => {
    a = await startCustomercenter({ storage: 'postgres' })
    busOfB = openLocalBus({ path: ':memory:' })
    // B consumes nothing from this bus: every event is folded by A, as when the broker gives A the share.
    b = await startService(customercenterService, {
      env: {
        HOST: '127.0.0.1',
        OPEN_API: 'true',
        CUSTOMERCENTER_PORT: '0',
        CUSTOMERCENTER_DATABASE_URL: a.databaseUrl,
        LIVE_WATCH_MS: '200',
      },
      bus: busOfB,
      logger: createLogger({ level: 'silent' }),
      defaults: { port: 0, databaseUrl: a.databaseUrl },
    })
  })
  after(async () => {
    await b.stop()
    await busOfB.close()
    await a.stop()
  })

  test('a customer connected to the replica that did not fold the event still gets the change', async () => {
    const events = await openEvents(`${b.url}/mypages/stream?phoneNumber=${PHONE}`)
    await events.next()
    await a.publish([eventsOf(601)('Ordered')])
    const pushed = await events.next((e) => e.data.orders.length === 1, 5000)
    assert.equal(pushed.data.orders[0].orderId, 601)
    events.close()
  })
})
