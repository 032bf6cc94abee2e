/**
 * The payment service's refund handler with DrinkCanceled redelivered (the same id again, as
 * after a lost ack), re-sent (a new id, as after a producer's retry) and handled concurrently.
 * Payments are made through the service's own internal endpoint; asserted on the payments the
 * API shows and the events the service published. SQLite and the real PostgreSQL.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  eventOf,
  reissued,
  type ServiceFixture,
  type Storage,
  startServiceFixture,
} from '@cafeteria/platform/testing'
import { paymentService } from './index.ts'
import type { PaymentTables } from './store.ts'

type Fixture = ServiceFixture<PaymentTables>

const phoneNumber = '01012345679'
const drinkCanceled = (orderId: number) =>
  eventOf('DrinkCanceled', orderId, { phoneNumber, productName: 'latte', qty: 2 }, { source: 'drink' })

async function pay(f: Fixture, orderId: number, amt = 900) {
  const answer = await f.http('POST', '/payments', { orderId, phoneNumber, amt })
  assert.equal(answer.status, 201, JSON.stringify(answer.body))
  return answer.body as { id: number; orderId: number; status: string }
}

const paymentsOf = async (f: Fixture, orderId: number) =>
  (await f.http('GET', `/payments/search/findByOrderId?orderId=${orderId}`)).body._embedded.payments.map(
    (p: any) => [p.id, p.orderId, p.amt, p.status],
  )

const refunds = (f: Fixture) => f.emittedOf('PaymentCanceled').map((e) => [e.orderId, e.data])

for (const storage of ['sqlite', 'postgres'] as Storage[]) {
  describe(`payment handlers on ${storage}`, () => {
    const withPayment = (name: string, run: (f: Fixture) => Promise<void>) =>
      test(name, async (t) => {
        const f = await startServiceFixture(paymentService, { storage })
        t.after(() => f.stop())
        await run(f)
        assert.deepEqual(await f.deadLetters(), [])
      })

    withPayment('DrinkCanceled refunds the payment once, however often it comes', async (f) => {
      const payment = await pay(f, 1)
      const other = await pay(f, 2, 300)
      const canceled = drinkCanceled(1)
      await f.deliver(canceled)
      await f.redeliver(canceled)
      await f.deliver(reissued(canceled), reissued(canceled))
      assert.deepEqual(await paymentsOf(f, 1), [[payment.id, 1, 900, 'PaymentCanceled']])
      assert.equal((await f.http('GET', `/payments/${payment.id}`)).body.status, 'PaymentCanceled')
      assert.deepEqual(await paymentsOf(f, 2), [[other.id, 2, 300, 'PaymentApproved']])
      await f.settle()
      assert.deepEqual(refunds(f), [[1, { paymentId: payment.id, phoneNumber, amt: 900 }]])
      assert.deepEqual(
        f.emittedOf('PaymentApproved').map((e) => e.orderId),
        [1, 2],
      )
    })

    withPayment('DrinkCanceled for an order without a payment changes nothing and is no error', async (f) => {
      const payment = await pay(f, 1)
      const stray = drinkCanceled(2)
      await f.deliver(stray)
      await f.redeliver(stray)
      await f.deliver(reissued(stray))
      assert.deepEqual(await paymentsOf(f, 2), [])
      assert.deepEqual(await paymentsOf(f, 1), [[payment.id, 1, 900, 'PaymentApproved']])
      await f.settle()
      assert.deepEqual(refunds(f), [])
    })

    withPayment('DrinkCanceled re-sent and handled at once still refunds once', async (f) => {
      const payments = [await pay(f, 1), await pay(f, 2)]
      const events = [drinkCanceled(1), drinkCanceled(2)]
      // The losers of the race see the payment change under them and retry; none is dead-lettered.
      await f.deliverTogether([...events, ...events.map(reissued), ...events.map(reissued)])
      await Promise.all(events.map((e) => f.redeliver(e)))
      assert.deepEqual(await paymentsOf(f, 1), [[payments[0]?.id, 1, 900, 'PaymentCanceled']])
      assert.deepEqual(await paymentsOf(f, 2), [[payments[1]?.id, 2, 900, 'PaymentCanceled']])
      await f.settle()
      assert.deepEqual(
        refunds(f)
          .map(([orderId]) => orderId)
          .sort(),
        [1, 2],
      )
    })
  })
}
