/**
 * A cancel answered 503 ("cancel again") either never reached point (breaker open, no free slot,
 * connection refused) or reached it and lost its answer. Only the second may have deducted the
 * points, so only the second is finished later by the sweep; the first leaves nothing behind and
 * the customer decides. A cancel that can no longer go ahead leaves no mark either. Point is a
 * stand-in whose answers the test decides; the order service runs on each real database.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  type ServiceFixture,
  type Storage,
  type Stub,
  type StubAnswer,
  startServiceFixture,
  startStub,
  waitFor,
} from '@cafeteria/platform/testing'
import { orderService } from './index.ts'
import { type OrderTables, startCancel } from './store.ts'

const deducted: StubAnswer = { status: 200, body: { point: 50 } }
const failing: StubAnswer = { status: 503, body: { detail: 'database unavailable' } }

for (const storage of ['sqlite', 'postgres', 'mysql'] as Storage[]) {
  describe(`a cancel point never saw, on ${storage}`, () => {
    let f: ServiceFixture<OrderTables>
    let payment: Stub
    let point: Stub
    let answer: (body: { orderId: number }) => StubAnswer | Promise<StubAnswer> = () => deducted
    let phone = 0

    before(async () => {
      payment = await startStub(({ body }) => ({ status: 201, body: { id: body.orderId } }))
      point = await startStub(({ body }) => answer(body))
      f = await startServiceFixture(orderService, {
        storage,
        env: {
          PAYMENT_URL: payment.url,
          POINT_URL: point.url,
          // One failed call opens the breaker, which stays open long enough for the next cancel to
          // be refused by it whatever the machine's load, then lets a probe through.
          POINT_BREAKER_MIN_CALLS: '1',
          POINT_BREAKER_HALF_OPEN_MS: '4000',
          // A sweep every second; calls short enough for that (see settings.ts).
          ORDER_ABANDONED_AFTER_MS: '2000',
          PAYMENT_QUEUE_WAIT_MS: '200',
          PAYMENT_BUDGET_MS: '800',
          POINT_QUEUE_WAIT_MS: '200',
          POINT_BUDGET_MS: '800',
        },
      })
    })
    after(async () => {
      await f?.stop()
      await point?.close()
      await payment?.close()
    })

    const place = async () => {
      const placed = await f.http('POST', '/orders', {
        phoneNumber: `0104444${String(++phone).padStart(4, '0')}`,
        productName: 'latte',
        qty: 1,
        amt: 500,
      })
      assert.equal(placed.status, 201, JSON.stringify(placed.body))
      return placed.body.id as number
    }
    const cancel = (id: number) => f.http('PATCH', `/orders/${id}`, { status: 'OrderCanceled' })
    const row = (id: number) =>
      f.db
        .selectFrom('order_management')
        .select(['status', 'cancel_started_at', 'cancel_attempts'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    const asked = (id: number) => point.requests.filter((r) => r.body?.orderId === id).length
    const breaker = async () => (await f.http('GET', '/health/ready')).body.details.point

    test('Given the breaker open, when a cancel is refused by it, then it answers 503, leaves no mark, and the customer may cancel again later', async () => {
      const opener = await place()
      const subject = await place()

      answer = () => failing
      assert.equal((await cancel(opener)).status, 503)
      assert.equal((await breaker()).state, 'open')

      const refused = await cancel(subject)
      assert.equal(refused.status, 503)
      assert.ok(refused.body.detail.includes('cancel again'), refused.body.detail)
      assert.equal(asked(subject), 0, 'refused by the breaker: point never saw it')
      const left = await row(subject)
      assert.equal(left.status, 'Ordered')
      assert.equal(left.cancel_started_at, null, 'nothing for the sweep to finish')
      assert.equal(Number(left.cancel_attempts), 0)
      // The opener's deduction reached point and its answer was a failure: its mark stays.
      assert.notEqual((await row(opener)).cancel_started_at, null)

      // Refused by the breaker again: that says nothing of the opener's first attempt.
      assert.equal((await cancel(opener)).status, 503)
      assert.notEqual((await row(opener)).cancel_started_at, null, 'an unsent attempt keeps another’s mark')

      // Point is back; once the breaker lets a probe through, the customer's cancel goes ahead
      // (every refused one before it left nothing), and the sweep finishes the opener's.
      answer = () => deducted
      await waitFor(async () => (await cancel(subject)).status === 200, 15_000, {
        what: 'the customer’s cancel to go through',
        intervalMs: 200,
      })
      assert.equal(asked(subject), 1, 'deducted once, by the cancel that went through')
      await waitFor(async () => (await row(opener)).status === 'OrderCanceled', 15_000, {
        what: 'the sweep to finish the opener’s cancel',
        intervalMs: 100,
      })
      const opened = await row(opener)
      assert.equal(opened.cancel_started_at, null)
      assert.equal(Number(opened.cancel_attempts), 0)
    })

    test('Given an order whose cancel the barista refused, when a cancel starts, then it is not marked', async () => {
      const id = await place()
      await f.db.updateTable('order_management').set({ cancel_refused: true }).where('id', '=', id).execute()
      assert.equal(await startCancel(f.db, f.dialect, id), false)
      assert.equal((await row(id)).cancel_started_at, null)
    })

    test('Given a compensation landing while the points are deducted, when the cancel cannot be recorded, then it is refused and leaves no mark', async () => {
      const id = await place()
      // Meanwhile another cancel of the order was recorded, refused by the barista and compensated.
      answer = async ({ orderId }) => {
        if (orderId === id)
          await f.db
            .updateTable('order_management')
            .set({ cancel_refused: true })
            .where('id', '=', id)
            .execute()
        return deducted
      }
      const refused = await cancel(id)
      assert.equal(refused.status, 409, JSON.stringify(refused.body))
      assert.match(refused.body.detail, /already started/)
      const after = await row(id)
      assert.equal(after.status, 'Ordered')
      assert.equal(after.cancel_started_at, null, 'no mark left for the sweep')
      assert.equal(Number(after.cancel_attempts), 0)
    })
  })
}
