/**
 * The drink service's handlers with events redelivered (the same id again, as after a lost ack),
 * re-sent (the same fact under a new id, as after a producer's retry) and overtaking each other.
 * Asserted on the tickets the API shows and the events the service published. Each test has its
 * own database; the whole suite runs on SQLite and on the real PostgreSQL.
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
import { drinkService } from './index.ts'
import type { DrinkTables } from './store.ts'

type Fixture = ServiceFixture<DrinkTables>

const phoneNumber = '01012345679'
const product = { phoneNumber, productName: 'latte', qty: 2 }
const ordered = (orderId: number) =>
  eventOf('Ordered', orderId, { ...product, amt: 900, paymentId: orderId }, { source: 'order' })
const orderCanceled = (orderId: number) =>
  eventOf(
    'OrderCanceled',
    orderId,
    { ...product, amt: 900, paymentId: orderId, pointsDeducted: 90 },
    { source: 'order' },
  )

const ticketsOf = async (f: Fixture, orderId: number) =>
  (await f.http('GET', `/drinks/search/findByOrderId?orderId=${orderId}`)).body._embedded.drinks as any[]

const summary = (ticket: any) => [ticket.orderId, ticket.productName, ticket.qty, ticket.status]

/** Type, order and data of what the service announced about the cancel. */
const cancelOutcomes = (f: Fixture) =>
  f.emittedOf('DrinkCanceled', 'CancelFailed').map((e) => [e.type, e.orderId, e.data])

async function receipted(f: Fixture, orderId: number, to: string[] = ['Receipted']) {
  const [ticket] = await ticketsOf(f, orderId)
  for (const status of to) {
    const answer = await f.http('PATCH', `/drinks/${ticket.id}`, { status })
    assert.equal(answer.status, 200, JSON.stringify(answer.body))
  }
}

for (const storage of ['sqlite', 'postgres'] as Storage[]) {
  describe(`drink handlers on ${storage}`, () => {
    const withDrink = (name: string, run: (f: Fixture) => Promise<void>) =>
      test(name, async (t) => {
        const f = await startServiceFixture(drinkService, { storage })
        t.after(() => f.stop())
        await run(f)
        assert.deepEqual(await f.deadLetters(), [])
      })

    withDrink('Ordered redelivered and re-sent makes one waiting ticket and announces nothing', async (f) => {
      const first = ordered(1)
      await f.deliver(first)
      await f.redeliver(first)
      await f.deliver(reissued(first))
      await f.deliver(ordered(2))
      const [ticket, ...more] = await ticketsOf(f, 1)
      assert.deepEqual(more, [])
      assert.deepEqual(
        [ticket.orderId, ticket.phoneNumber, ticket.productName, ticket.qty, ticket.amt, ticket.status],
        [1, phoneNumber, 'latte', 2, 900, 'PaymentApproved'],
      )
      const queue = (await f.http('GET', '/drinks?status=PaymentApproved')).body._embedded.drinks
      assert.deepEqual(
        queue.map((d: any) => d.orderId),
        [1, 2],
      )
      await f.settle()
      assert.deepEqual(f.emitted, [])
    })

    withDrink('OrderCanceled on a waiting ticket cancels it once, however often it comes', async (f) => {
      await f.deliver(ordered(1))
      const cancel = orderCanceled(1)
      await f.deliver(cancel)
      await f.redeliver(cancel)
      await f.deliver(reissued(cancel), reissued(cancel))
      assert.deepEqual((await ticketsOf(f, 1)).map(summary), [[1, 'latte', 2, 'DrinkCanceled']])
      await f.settle()
      assert.deepEqual(cancelOutcomes(f), [['DrinkCanceled', 1, product]])
    })

    withDrink(
      'a cancel that overtakes the order: one ticket, cancelled for good, announced once',
      async (f) => {
        const cancel = orderCanceled(1)
        const order = ordered(1)
        await f.deliver(cancel)
        await f.deliver(order)
        await f.redeliver(order)
        await f.deliver(reissued(order))
        await f.redeliver(cancel)
        await f.deliver(reissued(cancel))
        assert.deepEqual((await ticketsOf(f, 1)).map(summary), [[1, 'latte', 2, 'DrinkCanceled']])
        // Not in the barista's queue, and the barista cannot start it.
        assert.deepEqual((await f.http('GET', '/drinks?status=PaymentApproved')).body._embedded.drinks, [])
        const [ticket] = await ticketsOf(f, 1)
        assert.equal((await f.http('PATCH', `/drinks/${ticket.id}`, { status: 'Receipted' })).status, 409)
        await f.settle()
        assert.deepEqual(cancelOutcomes(f), [['DrinkCanceled', 1, product]])
      },
    )

    for (const started of [['Receipted'], ['Receipted', 'Made']]) {
      const drinkStatus = started.at(-1) as 'Receipted' | 'Made'

      withDrink(
        `OrderCanceled on a ${drinkStatus} ticket is refused once; a redelivery changes nothing`,
        async (f) => {
          await f.deliver(ordered(1))
          await receipted(f, 1, started)
          const cancel = orderCanceled(1)
          await f.deliver(cancel)
          await f.redeliver(cancel)
          assert.deepEqual((await ticketsOf(f, 1)).map(summary), [[1, 'latte', 2, drinkStatus]])
          await f.settle()
          assert.deepEqual(cancelOutcomes(f), [['CancelFailed', 1, { ...product, drinkStatus }]])
        },
      )

      // An order is cancelled at most once (a refused cancel cannot be repeated), so an
      // OrderCanceled under a new id is the same cancel re-sent: its refusal is announced once.
      withDrink(
        `OrderCanceled on a ${drinkStatus} ticket re-sent under a new id is refused once`,
        async (f) => {
          await f.deliver(ordered(1))
          await receipted(f, 1, started)
          const cancel = orderCanceled(1)
          await f.deliver(cancel, reissued(cancel), reissued(cancel))
          assert.deepEqual((await ticketsOf(f, 1)).map(summary), [[1, 'latte', 2, drinkStatus]])
          await f.settle()
          assert.deepEqual(cancelOutcomes(f), [['CancelFailed', 1, { ...product, drinkStatus }]])
        },
      )
    }

    withDrink('the same events handled at once: one ticket per order, one outcome per cancel', async (f) => {
      // Order 1: Ordered twice. Order 2: cancel and order race. Order 3: a waiting ticket cancelled twice.
      await f.deliver(ordered(3))
      const events = [ordered(1), ordered(2), orderCanceled(2), orderCanceled(3)]
      await f.deliverTogether([...events, ...events.map(reissued)])
      assert.deepEqual((await ticketsOf(f, 1)).map(summary), [[1, 'latte', 2, 'PaymentApproved']])
      assert.deepEqual((await ticketsOf(f, 2)).map(summary), [[2, 'latte', 2, 'DrinkCanceled']])
      assert.deepEqual((await ticketsOf(f, 3)).map(summary), [[3, 'latte', 2, 'DrinkCanceled']])
      await f.settle()
      assert.deepEqual(cancelOutcomes(f).sort(), [
        ['DrinkCanceled', 2, product],
        ['DrinkCanceled', 3, product],
      ])
    })
  })
}
