import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { order } from '@cafeteria/cafe/testing'
import type { DomainEvent } from '@cafeteria/contracts'
import { paymentService } from '@cafeteria/payment'
import {
  type Bus,
  createLogger,
  openDatabase,
  openLocalBus,
  type RunningService,
  startService,
} from '@cafeteria/platform'
import { call, type FaultProxy, startFaultProxy, tempDir, waitFor } from '@cafeteria/platform/testing'
import { orderService } from './index.ts'
import { insertPending, type OrderTables } from './store.ts'

/**
 * A payment call that times out may still be carried out later (a frozen or overloaded payment
 * process catches up). The customer was told the order failed, so it must never become a
 * payment, a ticket, points, a My Page row or a notification: the late payment is voided.
 */
let bus: Bus
let payment: RunningService
let orders: RunningService
let proxy: FaultProxy
let scratch: Awaited<ReturnType<typeof tempDir>>
let orderDatabaseUrl: string
const seen: DomainEvent[] = []
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
/** Payment's access log: a line once it has answered a request, late ones included. */
const paymentLog: Array<{ msg: string; method?: string; path?: string; status?: number }> = []
const paymentLogger = createLogger({
  level: 'info',
  destination: { write: (line: string) => paymentLog.push(JSON.parse(line)) },
})

before(async () => {
  bus = openLocalBus({ path: ':memory:' })
  bus.consume('observer', async (m) => {
    seen.push(JSON.parse(m.payload))
  })
  payment = await startService(paymentService, {
    env: { HOST: '127.0.0.1', OPEN_API: 'true' },
    bus,
    logger: paymentLogger,
    defaults: { port: 0, databaseUrl: 'sqlite::memory:' },
  })
  proxy = await startFaultProxy({ host: '127.0.0.1', port: Number(new URL(payment.url).port) })
  scratch = await tempDir('cafe-late-payment-')
  orderDatabaseUrl = `sqlite:${join(scratch.path, 'order.db')}`
  orders = await startService(orderService, {
    env: {
      HOST: '127.0.0.1',
      OPEN_API: 'true',
      PAYMENT_URL: proxy.url,
      PAYMENT_TIMEOUT_MS: '300',
      POINT_URL: 'http://127.0.0.1:9',
      // Twice the longest call at least (see settings.ts): 500 ms queue wait + 1.5 s budget.
      ORDER_ABANDONED_AFTER_MS: '5000',
      PAYMENT_QUEUE_WAIT_MS: '500',
      POINT_QUEUE_WAIT_MS: '500',
    },
    bus,
    logger,
    defaults: { port: 0, databaseUrl: orderDatabaseUrl },
  })
})
after(async () => {
  await orders.stop()
  await proxy.close()
  await payment.stop()
  await bus.close()
  await scratch.remove()
})

const paymentsOf = async (orderId: number) =>
  (await call(`${payment.url}/payments/search/findByOrderId?orderId=${orderId}`)).body._embedded
    .payments as Array<{
    status: string
  }>
const paymentsAnswered = () =>
  paymentLog.filter((l) => l.msg === 'request' && l.method === 'POST' && l.path === '/payments').length
/** The attempts order's policy made to pay: each is a request payment answers sooner or later. */
const paymentCalls = async () =>
  (await call(`${orders.url}/health/ready`)).body.details.payment.calls as number

test('a payment that arrives after the order gave up is voided, and nothing of the order takes effect', async () => {
  // Held far past the order's 300 ms deadline and its one retry, so the answer comes first even on a busy machine.
  proxy.delay(4000)
  const answer = await call(`${orders.url}/orders`, { method: 'POST', json: order() })
  assert.equal(answer.status, 503)
  assert.equal(paymentsAnswered(), 0, 'the customer was answered before the payment went through')
  const rejected = await waitFor(async () => seen.find((e) => e.type === 'OrderRejected'), 5000, {
    what: 'OrderRejected',
  })
  const orderId = rejected.orderId
  // Every attempt the order made went through the proxy: wait until payment has answered each one.
  await waitFor(async () => paymentsAnswered() >= (await paymentCalls()), 15_000, {
    what: 'payment to carry out the held requests',
  })
  await waitFor(
    async () => {
      const payments = await paymentsOf(orderId)
      return payments.length > 0 && payments.every((p) => p.status === 'PaymentVoided')
    },
    5000,
    { what: 'the void' },
  )
  const payments = await paymentsOf(orderId)
  assert.equal(payments.length, 1)
  assert.equal(payments[0]?.status, 'PaymentVoided')
  assert.equal((await call(`${orders.url}/orders/${orderId}`)).status, 404)
  assert.equal(
    seen.filter((e) => e.type === 'Ordered' && e.orderId === orderId).length,
    0,
    'no Ordered: no ticket, points, My Page',
  )
})

test('once payment answers in time again, orders are placed and paid', async () => {
  proxy.delay(0)
  const answer = await call(`${orders.url}/orders`, { method: 'POST', json: order() })
  assert.equal(answer.status, 201)
  assert.equal((await paymentsOf(answer.body.id))[0]?.status, 'PaymentApproved')
})

test('an order whose process died while paying is rejected by the sweep and its payment voided', async () => {
  // What a crash between paying and confirming leaves: an old Pending order with a payment.
  const database = await openDatabase<OrderTables>(orderDatabaseUrl)
  const draft = { phoneNumber: '01012345679', productName: 'coffee', qty: 1, amt: 500 }
  const stale = await insertPending(database.db, database.dialect, draft)
  const pay = await call(`${payment.url}/payments`, {
    method: 'POST',
    json: { orderId: stale.id, phoneNumber: draft.phoneNumber, amt: draft.amt },
  })
  assert.equal(pay.status, 201)
  // Only now does it become old enough for the sweep: the process "died" a minute ago.
  await database.db
    .updateTable('order_management')
    .set({ create_time: new Date(Date.now() - 60_000) })
    .where('id', '=', stale.id)
    .execute()
  await database.close()
  await waitFor(async () => (await paymentsOf(stale.id))[0]?.status === 'PaymentVoided', 10_000, {
    what: 'the void',
  })
  // The database shows the void before the relay publishes it: wait for the bus too.
  await waitFor(
    async () =>
      seen.some((e) => e.type === 'OrderRejected' && e.orderId === stale.id) &&
      seen.some((e) => e.type === 'PaymentVoided' && e.orderId === stale.id),
    10_000,
    { what: 'OrderRejected and PaymentVoided on the bus' },
  )
  assert.equal((await call(`${orders.url}/orders/${stale.id}`)).status, 404)
})
