/**
 * Points never go negative, are never counted twice and never lose an update: two replicas of the
 * service (two `startService` on one real database, sharing the bus as a consumer group) take
 * concurrent deductions and events for one phone.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { pointsFor } from '@cafeteria/contracts'
import type { Storage } from '@cafeteria/platform/testing'
import {
  balance,
  cancelBody,
  cancelPoint,
  history,
  ordered,
  type PointFixture,
  startPoint,
} from './testing.ts'

const REPLICAS = 2
/** Request i goes to replica i mod 2, so every burst is split across both. */
const replica = (f: PointFixture, i: number) => f.urls[i % f.urls.length] ?? f.url

async function accrue(f: PointFixture, amounts: Record<number, number>) {
  await Promise.all(
    Object.entries(amounts).map(([orderId, amt]) =>
      f.deliver('Ordered', Number(orderId), ordered(amt, { paymentId: Number(orderId) })),
    ),
  )
}

for (const storage of ['mysql', 'postgres'] as Storage[]) {
  describe(`two replicas on one ${storage} database`, () => {
    const withReplicas = (name: string, run: (f: PointFixture) => Promise<void>) =>
      test(name, async (t) => {
        const f = await startPoint(storage, { replicas: REPLICAS })
        t.after(() => f.stop())
        await run(f)
      })

    withReplicas('50 concurrent cancels of one order deduct once and all get the same answer', async (f) => {
      await accrue(f, { 1: 500, 2: 300 })
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => cancelPoint(replica(f, i), cancelBody(1, 500))),
      )
      assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]))
      for (const answer of answers) assert.deepEqual(answer.body, answers[0]?.body)
      assert.equal(answers[0]?.body.totalPoint, 30)
      assert.equal(await balance(f.url), 30)
      const cancels = (await history(f.url)).filter((e) => e.type === 'Cancel')
      assert.deepEqual(
        cancels.map((e) => [e.orderId, e.point, e.totalPoint]),
        [[1, -50, 30]],
      )
    })

    withReplicas('concurrent cancels beyond the balance: never negative, no lost update', async (f) => {
      const amounts = { 1: 500, 2: 300, 3: 700, 4: 1000, 5: 200, 6: 900, 7: 400, 8: 600, 9: 800, 10: 100 }
      await accrue(f, amounts)
      assert.equal(await balance(f.url), 550)
      // Points spent outside the order flow: the cancels now ask for more than there is.
      await f.db.updateTable('point_balance').set({ point: 250 }).execute()
      const orders = Object.keys(amounts).map(Number)
      const answers = await Promise.all(
        [...orders, ...orders, ...orders].map((orderId, i) =>
          cancelPoint(
            replica(f, i),
            cancelBody(orderId, amounts[orderId as keyof typeof amounts], {
              paymentId: orderId,
            }),
          ),
        ),
      )
      assert.ok(answers.every((a) => a.status === 200 || a.status === 409))
      const won = new Set(answers.filter((a) => a.status === 200).map((a) => a.body.orderId as number))
      const deducted = [...won].reduce((sum, id) => sum + pointsFor(amounts[id as keyof typeof amounts]), 0)
      const final = await balance(f.url)
      assert.ok(won.size > 0 && won.size < orders.length)
      assert.equal(final, 250 - deducted)
      assert.ok(final >= 0)
      // Every refusal was deserved: each refused order needed more than was ever left.
      for (const id of orders.filter((o) => !won.has(o)))
        assert.ok(pointsFor(amounts[id as keyof typeof amounts]) > final)
      // The deductions form one unbroken chain from 250: each saw the balance the previous one left.
      const cancels = (await history(f.url)).filter((e) => e.type === 'Cancel')
      assert.equal(cancels.length, won.size)
      let running = 250
      for (const entry of cancels.sort((a, b) => a.id - b.id)) {
        running += entry.point
        assert.equal(entry.totalPoint, running)
      }
    })

    withReplicas('cancels racing their own accruals end with exactly the other points', async (f) => {
      await accrue(f, { 1000: 10_000 })
      const orders = Array.from({ length: 20 }, (_, i) => i + 1)
      const [eventIds, answers] = await Promise.all([
        Promise.all(orders.map((id) => f.publish('Ordered', id, ordered(500, { paymentId: id })))),
        Promise.all(
          orders.map((id, i) => cancelPoint(replica(f, i), cancelBody(id, 500, { paymentId: id }))),
        ),
      ])
      await Promise.all(eventIds.map((id) => f.handled(id)))
      assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]))
      assert.equal(await balance(f.url), 1000)
      const entries = await history(f.url)
      for (const id of orders) {
        assert.deepEqual(
          entries
            .filter((e) => e.orderId === id)
            .map((e) => e.type)
            .sort(),
          ['Cancel', 'Order'],
        )
      }
    })
  })
}
