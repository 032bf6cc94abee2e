/**
 * The sweep rejects orders still Pending after ORDER_ABANDONED_AFTER_MS and finishes cancels
 * marked that long ago, taking them for work whose process died. It must never take live work
 * for dead: ages are judged on the database's clock, so a replica whose clock runs ahead does not
 * sweep what another replica is still paying or cancelling; and a payment call cannot wait for
 * its turn longer than the queue wait, so none outlasts the threshold (settings.test.ts checks
 * the threshold against the longest call).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  type ServiceFixture,
  type Storage,
  type Stub,
  startServiceFixture,
  startStub,
  waitFor,
} from '@cafeteria/platform/testing'
import { orderService } from './index.ts'
import { findOrder, insertPending, type OrderTables, startCancel } from './store.ts'

/** The sweeping replica's clock runs two minutes ahead of the database's and the other replicas'. */
const AHEAD_MS = 120_000
const LONG_AGO = () => new Date(Date.now() - 600_000)

for (const storage of ['sqlite', 'postgres', 'mysql'] as Storage[]) {
  describe(`the abandoned-order sweep on ${storage}`, () => {
    let f: ServiceFixture<OrderTables>
    let payment: Stub
    let point: Stub
    /** Set to hold the next payment until the test lets it go. */
    let hold: Promise<void> | undefined
    /** Set to do something while the next payment is being made. */
    let meanwhile: ((orderId: number) => Promise<unknown>) | undefined
    let phone = 0

    before(async () => {
      payment = await startStub(async ({ body }) => {
        const held = hold
        const during = meanwhile
        hold = undefined
        meanwhile = undefined
        await held
        await during?.(body.orderId)
        return { status: 201, body: { id: body.orderId } }
      })
      point = await startStub(() => ({ status: 200, body: { point: 50 } }))
      f = await startServiceFixture(orderService, {
        storage,
        now: () => new Date(Date.now() + AHEAD_MS),
        env: {
          PAYMENT_URL: payment.url,
          POINT_URL: point.url,
          ORDER_ABANDONED_AFTER_MS: '5000',
          PAYMENT_MAX_CONCURRENT: '1',
          PAYMENT_QUEUE_WAIT_MS: '300',
          PAYMENT_TIMEOUT_MS: '2000',
          PAYMENT_BUDGET_MS: '2000',
          POINT_QUEUE_WAIT_MS: '500',
        },
      })
    })
    after(async () => {
      await f?.stop()
      await point?.close()
      await payment?.close()
    })

    const draft = () => ({
      phoneNumber: `0105555${String(++phone).padStart(4, '0')}`,
      productName: 'latte',
      qty: 1,
      amt: 500,
    })
    const place = async () => {
      const placed = await f.http('POST', '/orders', draft())
      assert.equal(placed.status, 201, JSON.stringify(placed.body))
      return placed.body.id as number
    }
    const statusOf = async (id: number) => (await findOrder(f.db, id))?.status

    test('Given a replica whose clock runs ahead, when it sweeps, then it leaves what is being paid or cancelled now and takes only what is old on the database’s clock', async () => {
      // Being paid and being cancelled right now, by replicas whose clocks are right.
      const paying = await insertPending(f.db, f.dialect, draft())
      const cancelling = await place()
      assert.ok(await startCancel(f.db, f.dialect, cancelling))
      // Left long ago by a process that died: these the sweep must take.
      const abandoned = await insertPending(f.db, f.dialect, draft())
      await f.db
        .updateTable('order_management')
        .set({ create_time: LONG_AGO() })
        .where('id', '=', abandoned.id)
        .execute()
      const unfinished = await place()
      assert.ok(await startCancel(f.db, f.dialect, unfinished))
      await f.db
        .updateTable('order_management')
        .set({ cancel_started_at: LONG_AGO() })
        .where('id', '=', unfinished)
        .execute()

      // One pass of the sweep takes both old ones, Pending orders first, then cancels.
      await waitFor(async () => (await statusOf(unfinished)) === 'OrderCanceled', 15_000, {
        what: 'the sweep to finish the old cancel',
        intervalMs: 50,
      })
      assert.equal(await statusOf(abandoned.id), 'PaymentFailed')
      assert.equal(await statusOf(paying.id), 'Pending', 'an order being paid is not rejected')
      assert.equal(await statusOf(cancelling), 'Ordered')
      assert.equal(
        point.requests.filter((r) => r.body?.orderId === cancelling).length,
        0,
        'a cancel under way is not taken over',
      )
    })

    test('Given every payment slot taken, when an order cannot start paying within the queue wait, then it is answered 503 at once, unsent and invisible, and the call in flight still completes', async () => {
      let letGo = () => {}
      hold = new Promise<void>((resolve) => {
        letGo = resolve
      })
      const sentBefore = payment.requests.length
      const first = f.http('POST', '/orders', draft())
      await waitFor(() => payment.requests.length > sentBefore, 5_000, {
        what: 'the first payment in flight',
      })

      const second = await f.http('POST', '/orders', draft())
      assert.equal(second.status, 503, JSON.stringify(second.body))
      assert.match(second.body.type, /payment-unavailable/)
      assert.equal(payment.requests.length, sentBefore + 1, 'the second payment was never sent')
      letGo()
      assert.equal((await first).status, 201)

      const last = await f.db
        .selectFrom('order_management')
        .select(['id', 'status'])
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow()
      assert.equal(last.status, 'PaymentFailed', 'the refused order is not visible')
      assert.equal((await f.http('GET', `/orders/${last.id}`)).status, 404)
    })

    test('Given an order given up while its payment was under way, when the payment answers, then the customer hears 503, not 500, and sees no order', async () => {
      // What the sweep of a replica does to an order it takes for abandoned (a stalled process).
      meanwhile = (orderId) =>
        f.db
          .updateTable('order_management')
          .set({ status: 'PaymentFailed' })
          .where('id', '=', orderId)
          .where('status', '=', 'Pending')
          .execute()
      const answer = await f.http('POST', '/orders', draft())
      assert.equal(answer.status, 503, JSON.stringify(answer.body))
      assert.match(answer.body.type, /payment-unavailable/)
      const given = payment.requests.at(-1)?.body.orderId as number
      assert.equal(await statusOf(given), 'PaymentFailed')
      assert.equal((await f.http('GET', `/orders/${given}`)).status, 404)
    })
  })
}
