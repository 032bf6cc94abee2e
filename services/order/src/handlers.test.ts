/**
 * The order service's saga replies (CancelFailed, PaymentCanceled) redelivered (the same id again,
 * as after a lost ack), re-sent (a new id, as after a producer's retry), handled concurrently and
 * arriving for orders they do not fit. The service runs alone: orders are put in place with its
 * own store functions and decisions, exactly as its API would leave them; asserted on the order
 * and its history as GET /orders/{id} shows them. SQLite and the real PostgreSQL.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { DomainEvent } from '@cafeteria/contracts'
import { decideAndEvolve, isRejected } from '@cafeteria/platform'
import {
  eventOf,
  reissued,
  type ServiceFixture,
  type Storage,
  startServiceFixture,
  waitFor,
} from '@cafeteria/platform/testing'
import { sql } from 'kysely'
import { type Order, type OrderCommand, orderDecider } from './domain.ts'
import { orderService } from './index.ts'
import { appendHistory, findOrder, insertPending, type OrderTables, saveOrder } from './store.ts'

type Fixture = ServiceFixture<OrderTables>

/** The order a command makes of `order`, as the service would decide it. */
function decide(order: Order, command: OrderCommand) {
  const outcome = decideAndEvolve(orderDecider, command, order)
  return isRejected(outcome) || !outcome.state
    ? ({ ok: false } as const)
    : ({ ok: true, order: outcome.state } as const)
}

const phoneNumber = '01012345679'
const product = { phoneNumber, productName: 'latte', qty: 2 }

/** A paid order, and optionally cancelled: what POST /orders and PATCH /orders/{id} leave behind. */
async function placeOrder(f: Fixture, { canceled }: { canceled: boolean }): Promise<Order> {
  const now = new Date()
  const pending = await insertPending(f.db, f.dialect, { ...product, amt: 900 })
  const paid = decide(pending, { type: 'ConfirmPayment', paymentId: pending.id })
  assert.ok(paid.ok)
  assert.ok(await saveOrder(f.db, paid.order, 'Pending'))
  await appendHistory(f.db, pending.id, { status: 'Ordered', detail: null, at: now })
  if (!canceled) return paid.order
  const cancel = decide(paid.order, { type: 'Cancel', pointsDeducted: 90 })
  assert.ok(cancel.ok)
  assert.ok(await saveOrder(f.db, cancel.order, 'Ordered'))
  await appendHistory(f.db, pending.id, { status: 'OrderCanceled', detail: null, at: now })
  return cancel.order
}

const cancelFailed = (orderId: number, drinkStatus: 'Receipted' | 'Made' = 'Receipted') =>
  eventOf('CancelFailed', orderId, { ...product, drinkStatus }, { source: 'drink' })
const paymentCanceled = (orderId: number) =>
  eventOf('PaymentCanceled', orderId, { paymentId: orderId, phoneNumber, amt: 900 }, { source: 'payment' })

/** The order as the API shows it: status and history as [status, detail]. */
async function shown(f: Fixture, id: number) {
  const answer = await f.http('GET', `/orders/${id}`)
  assert.equal(answer.status, 200, JSON.stringify(answer.body))
  return {
    status: answer.body.status,
    history: answer.body.history.map((h: any) => [h.status, h.detail ?? null]),
  }
}
const cancelRefused = async (f: Fixture, id: number) => (await findOrder(f.db, id))?.cancelRefused

/**
 * Delivers the events in one batch so they are handled concurrently. On PostgreSQL the orders'
 * rows are held locked until every handler has read its order and waits to write it: the
 * interleaving a busy consumer meets by chance, made certain.
 */
async function handledTogether(f: Fixture, events: readonly DomainEvent[]) {
  if (f.dialect !== 'postgres') return f.deliverTogether(events)
  const ids = [...new Set(events.map((e) => e.orderId))]
  await f.db.transaction().execute(async (trx) => {
    await trx.selectFrom('order_management').select('id').where('id', 'in', ids).forUpdate().execute()
    await f.publish(...events)
    // Every event is either in a handler waiting for the lock, or done (a handler that never
    // touches the row does not wait).
    const eventIds = events.map((e) => e.id)
    await waitFor(
      async () => {
        const { rows } = await sql<{ n: number }>`select
          (select count(*) from pg_stat_activity where datname = current_database()
            and wait_event_type = 'Lock')
          + (select count(*) from inbox where event_id in (${sql.join(eventIds)})) as n`.execute(f.db)
        return Number(rows[0]?.n) >= events.length
      },
      5_000,
      { what: `${events.length} handlers waiting on the orders` },
    )
  })
  await f.handled(events)
}

const refused = ['Ordered', 'cancel refused: the drink was already Receipted']

for (const storage of ['sqlite', 'postgres'] as Storage[]) {
  describe(`order handlers on ${storage}`, () => {
    const withOrder = (name: string, run: (f: Fixture) => Promise<void>) =>
      test(name, async (t) => {
        const f = await startServiceFixture(orderService, { storage })
        t.after(() => f.stop())
        await run(f)
        assert.deepEqual(await f.deadLetters(), [])
        // The handlers only record the saga's outcome; they announce nothing.
        await f.settle()
        assert.deepEqual(f.emitted, [])
      })

    withOrder('CancelFailed puts a cancelled order back to Ordered for good, once', async (f) => {
      const order = await placeOrder(f, { canceled: true })
      const failed = cancelFailed(order.id)
      await f.deliver(failed)
      await f.redeliver(failed)
      await f.deliver(
        reissued(failed),
        reissued({ ...failed, data: { ...failed.data, drinkStatus: 'Made' } }),
      )
      assert.deepEqual(await shown(f, order.id), {
        status: 'Ordered',
        history: [['Ordered', null], ['OrderCanceled', null], refused],
      })
      assert.equal(await cancelRefused(f, order.id), true)
      // A refused order cannot be cancelled again (refused before any point is touched).
      const again = await f.http('PATCH', `/orders/${order.id}`, { status: 'OrderCanceled' })
      assert.equal(again.status, 409)
      assert.match(again.body.detail, /cannot be canceled/)
    })

    withOrder(
      'CancelFailed for an order that was never cancelled, or is unknown, changes nothing',
      async (f) => {
        const order = await placeOrder(f, { canceled: false })
        const failed = cancelFailed(order.id)
        await f.deliver(failed, reissued(failed))
        await f.redeliver(failed)
        await f.deliver(cancelFailed(order.id + 100))
        assert.deepEqual(await shown(f, order.id), { status: 'Ordered', history: [['Ordered', null]] })
        assert.equal(await cancelRefused(f, order.id), false)
        assert.equal(await findOrder(f.db, order.id + 100), undefined)
      },
    )

    withOrder('PaymentCanceled redelivered under its id records the refund once', async (f) => {
      const order = await placeOrder(f, { canceled: true })
      const refunded = paymentCanceled(order.id)
      await f.deliver(refunded)
      await f.redeliver(refunded)
      assert.deepEqual(await shown(f, order.id), {
        status: 'OrderCanceled',
        history: [
          ['Ordered', null],
          ['OrderCanceled', null],
          ['PaymentCanceled', 'refunded'],
        ],
      })
    })

    // The payment refunds an order once, so a PaymentCanceled under a new id is the same refund.
    withOrder('PaymentCanceled re-sent under a new id records the refund once', async (f) => {
      const order = await placeOrder(f, { canceled: true })
      const refunded = paymentCanceled(order.id)
      await f.deliver(refunded, reissued(refunded), reissued(refunded))
      assert.deepEqual(await shown(f, order.id), {
        status: 'OrderCanceled',
        history: [
          ['Ordered', null],
          ['OrderCanceled', null],
          ['PaymentCanceled', 'refunded'],
        ],
      })
    })

    withOrder('CancelFailed re-sent and handled at once records one refusal per order', async (f) => {
      const orders: Order[] = []
      for (let i = 0; i < 2; i++) orders.push(await placeOrder(f, { canceled: true }))
      const events = orders.map((o) => cancelFailed(o.id))
      await handledTogether(f, [...events, ...events.map(reissued), ...events.map(reissued)])
      for (const order of orders) {
        assert.deepEqual(await shown(f, order.id), {
          status: 'Ordered',
          history: [['Ordered', null], ['OrderCanceled', null], refused],
        })
        assert.equal(await cancelRefused(f, order.id), true)
      }
    })
  })
}
