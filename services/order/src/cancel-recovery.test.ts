import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { order } from '@cafeteria/cafe/testing'
import { paymentService } from '@cafeteria/payment'
import { type Bus, createLogger, openLocalBus, type RunningService, startService } from '@cafeteria/platform'
import { call, type FaultProxy, startFaultProxy, waitFor } from '@cafeteria/platform/testing'
import { pointService } from '@cafeteria/point'
import { orderService } from './index.ts'

/**
 * A cancel deducts the order's points first, then records itself. When the deduction's answer
 * never comes back (or the order process dies before recording), the points may be gone while
 * the order still stands: the cancel, started and unanswered, must be finished on its own.
 */
let bus: Bus
let payment: RunningService
let point: RunningService
let orders: RunningService
let proxy: FaultProxy
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
const memory = { port: 0, databaseUrl: 'sqlite::memory:' }

before(async () => {
  bus = openLocalBus({ path: ':memory:' })
  payment = await startService(paymentService, {
    env: { HOST: '127.0.0.1', OPEN_API: 'true' },
    bus,
    logger,
    defaults: memory,
  })
  point = await startService(pointService, {
    env: { HOST: '127.0.0.1', OPEN_API: 'true' },
    bus,
    logger,
    defaults: memory,
  })
  proxy = await startFaultProxy({ host: '127.0.0.1', port: Number(new URL(point.url).port) })
  orders = await startService(orderService, {
    env: {
      HOST: '127.0.0.1',
      OPEN_API: 'true',
      PAYMENT_URL: payment.url,
      POINT_URL: proxy.url,
      POINT_TIMEOUT_MS: '300',
      POINT_BUDGET_MS: '300',
      POINT_QUEUE_WAIT_MS: '200',
      PAYMENT_BUDGET_MS: '800',
      PAYMENT_QUEUE_WAIT_MS: '200',
      // A sweep every second; twice the longest call (see settings.ts).
      ORDER_ABANDONED_AFTER_MS: '2000',
    },
    bus,
    logger,
    defaults: memory,
  })
})
after(async () => {
  await orders.stop()
  await proxy.close()
  await point.stop()
  await payment.stop()
  await bus.close()
})

const balanceOf = async (phoneNumber: string) =>
  (await call(`${point.url}/points/search/findByPhoneNumber?phoneNumber=${phoneNumber}`)).body._embedded
    .points[0]?.point ?? 0
const statusOf = async (id: number) => (await call(`${orders.url}/orders/${id}`)).body.status

test('Given a cancel whose point deduction answered too late, when point is back, then the cancel finishes on its own and the points are taken once', async () => {
  const phoneNumber = '01077700001'
  const placed = await call(`${orders.url}/orders`, {
    method: 'POST',
    json: order({ phoneNumber, amt: 500 }),
  })
  assert.equal(placed.status, 201)
  const id = placed.body.id as number
  await waitFor(async () => (await balanceOf(phoneNumber)) === 50, 5000, { what: 'the points to accrue' })

  // Held past the 300 ms deadline: the customer hears 503, the deduction lands later.
  proxy.delay(1500)
  const cancel = await call(`${orders.url}/orders/${id}`, {
    method: 'PATCH',
    json: { status: 'OrderCanceled' },
  })
  assert.equal(cancel.status, 503)
  assert.equal(await statusOf(id), 'Ordered')
  await waitFor(async () => (await balanceOf(phoneNumber)) === 0, 10_000, { what: 'the late deduction' })
  assert.equal(await statusOf(id), 'Ordered', 'points gone, order still standing: the gap')

  proxy.delay(0)
  await waitFor(async () => (await statusOf(id)) === 'OrderCanceled', 15_000, {
    what: 'the sweep to finish the cancel',
  })
  assert.equal(await balanceOf(phoneNumber), 0, 'deducted once')
  const history = (await call(`${orders.url}/orders/${id}`)).body.history.map(
    (h: { status: string }) => h.status,
  )
  assert.deepEqual(history.slice(0, 2), ['Ordered', 'OrderCanceled'])
})
