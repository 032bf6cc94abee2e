/**
 * The ledger driven by its events and its internal deduction, on every storage it runs on, with
 * events redelivered and arriving in every order the flow allows. Each test has its own database.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { storages, waitFor } from '@cafeteria/platform/testing'
import {
  balance,
  cancelBody,
  cancelFailed,
  cancelPoint,
  history,
  ordered,
  type PointFixture,
  phone,
  startPoint,
} from './testing.ts'

const kinds = (entries: any[]) => entries.map((e) => [e.orderId, e.type, e.point, e.totalPoint])
const announced = (f: PointFixture) =>
  f.published.map((e) => [e.type, e.orderId, e.data.point, e.data.totalPoint])

for (const storage of storages) {
  describe(`point ledger on ${storage}`, () => {
    const withPoint = (name: string, run: (f: PointFixture) => Promise<void>, env = {}) =>
      test(name, async (t) => {
        const f = await startPoint(storage, { env })
        t.after(() => f.stop())
        await run(f)
      })

    withPoint('Ordered accrues 10% of the amount once, however often it is delivered', async (f) => {
      const id = await f.deliver('Ordered', 1, ordered(500))
      await f.deliver('Ordered', 1, ordered(500), id)
      // The same order announced again under a new event id: the ledger's key holds.
      await f.deliver('Ordered', 1, ordered(500))
      await f.deliver('Ordered', 2, ordered(999, { paymentId: 2 }))
      assert.equal(await balance(f.url), 149)
      assert.deepEqual(kinds(await history(f.url)), [
        [1, 'Order', 50, 50],
        [2, 'Order', 99, 149],
      ])
      await waitFor(() => f.published.length === 2)
      assert.deepEqual(announced(f), [
        ['PointsAccrued', 1, 50, 50],
        ['PointsAccrued', 2, 99, 149],
      ])
    })

    withPoint('cancelPoint deducts the order points once; a retry gets the same answer', async (f) => {
      await f.deliver('Ordered', 1, ordered(500))
      await f.deliver('Ordered', 2, ordered(300, { paymentId: 2 }))
      const first = await cancelPoint(f.url, cancelBody(1, 500))
      const again = await cancelPoint(f.url, cancelBody(1, 500))
      assert.equal(first.status, 200)
      assert.deepEqual(first.body, { orderId: 1, phoneNumber: phone, point: 50, totalPoint: 30 })
      assert.deepEqual(again, first)
      assert.equal(await balance(f.url), 30)
      assert.deepEqual(kinds(await history(f.url)), [
        [1, 'Order', 50, 50],
        [2, 'Order', 30, 80],
        [1, 'Cancel', -50, 30],
      ])
      await waitFor(() => f.published.length === 3)
      assert.deepEqual(announced(f).at(-1), ['PointsDeducted', 1, 50, 30])
    })

    withPoint(
      'a cancel before the accrual arrives leaves the balance alone; the late accrual nets out',
      async (f) => {
        await f.deliver('Ordered', 1, ordered(1000))
        const cancel = await cancelPoint(f.url, cancelBody(2, 500, { paymentId: 2 }))
        assert.deepEqual(cancel.body, { orderId: 2, phoneNumber: phone, point: 50, totalPoint: 100 })
        const late = await f.deliver('Ordered', 2, ordered(500, { paymentId: 2 }))
        await f.deliver('Ordered', 2, ordered(500, { paymentId: 2 }), late)
        await f.deliver('Ordered', 2, ordered(500, { paymentId: 2 }))
        assert.equal(await balance(f.url), 100)
        assert.deepEqual(kinds(await history(f.url)), [
          [1, 'Order', 100, 100],
          [2, 'Cancel', -50, 100],
          [2, 'Order', 50, 100],
        ])
        assert.deepEqual((await cancelPoint(f.url, cancelBody(2, 500, { paymentId: 2 }))).body, cancel.body)
        // The balance never moved for order 2, so only its deduction was announced.
        await waitFor(() => f.published.length === 2)
        assert.deepEqual(announced(f), [
          ['PointsAccrued', 1, 100, 100],
          ['PointsDeducted', 2, 50, 100],
        ])
      },
    )

    withPoint('CancelFailed restores what the cancel deducted, once', async (f) => {
      await f.deliver('Ordered', 1, ordered(500))
      await cancelPoint(f.url, cancelBody(1, 500))
      const id = await f.deliver('CancelFailed', 1, cancelFailed())
      await f.deliver('CancelFailed', 1, cancelFailed(), id)
      await f.deliver('CancelFailed', 1, cancelFailed({ drinkStatus: 'Made' }))
      assert.equal(await balance(f.url), 50)
      assert.deepEqual(kinds(await history(f.url)), [
        [1, 'Order', 50, 50],
        [1, 'Cancel', -50, 0],
        [1, 'Restore', 50, 50],
      ])
      // Cancelling the restored order again takes nothing more (the drink stays started).
      assert.deepEqual((await cancelPoint(f.url, cancelBody(1, 500))).body.totalPoint, 0)
      assert.equal(await balance(f.url), 50)
      await waitFor(() => f.published.length === 3)
      assert.deepEqual(announced(f).at(-1), ['PointsRestored', 1, 50, 50])
    })

    withPoint(
      'CancelFailed before the accrual arrives: the order ends with its points exactly once',
      async (f) => {
        await cancelPoint(f.url, cancelBody(1, 500))
        await f.deliver('CancelFailed', 1, cancelFailed())
        assert.equal(await balance(f.url), 50)
        await f.deliver('Ordered', 1, ordered(500))
        await f.deliver('Ordered', 1, ordered(500))
        assert.equal(await balance(f.url), 50)
        assert.deepEqual(kinds(await history(f.url)), [
          [1, 'Cancel', -50, 0],
          [1, 'Restore', 50, 50],
          [1, 'Order', 50, 50],
        ])
      },
    )

    withPoint('CancelFailed with nothing deducted changes nothing', async (f) => {
      await f.deliver('Ordered', 1, ordered(500))
      await f.deliver('CancelFailed', 1, cancelFailed())
      await f.deliver('CancelFailed', 2, cancelFailed())
      assert.equal(await balance(f.url), 50)
      assert.deepEqual(kinds(await history(f.url)), [[1, 'Order', 50, 50]])
    })

    withPoint('a deduction the balance does not cover is a 409 and changes nothing', async (f) => {
      await f.deliver('Ordered', 1, ordered(500))
      // A balance lowered outside the order flow (points imported from the original system).
      await f.db.updateTable('point_balance').set({ point: 20 }).execute()
      const refused = await cancelPoint(f.url, cancelBody(1, 500))
      assert.equal(refused.status, 409)
      assert.match(refused.type, /problem\+json/)
      assert.equal(refused.body.detail, 'Point is not enough.')
      assert.equal(await balance(f.url), 20)
      assert.deepEqual(kinds(await history(f.url)), [[1, 'Order', 50, 50]])
      await f.db.updateTable('point_balance').set({ point: 70 }).execute()
      assert.equal((await cancelPoint(f.url, cancelBody(1, 500))).body.totalPoint, 20)
    })

    withPoint(
      'an event contradicting the ledger is dead-lettered, not applied',
      async (f) => {
        await cancelPoint(f.url, cancelBody(1, 500))
        const id = await f.publish('Ordered', 1, ordered(500, { phoneNumber: '01099998888' }))
        const dead = await waitFor(() =>
          f.db.selectFrom('dead_letter').selectAll().where('event_id', '=', id).executeTakeFirst(),
        )
        assert.match(dead.error, /cancelled with other terms/)
        assert.equal(await balance(f.url, '01099998888'), 0)
      },
      { CONSUMER_MAX_ATTEMPTS: '2' },
    )
  })
}
