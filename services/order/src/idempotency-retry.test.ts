/**
 * Retries of one Idempotency-Key sent together after its first attempt failed to pay (a double
 * click, a client and a gateway retrying, two tabs): each of them may try again, but exactly one
 * may place and pay; the others answer 409 (in progress) or the placed order. Real concurrency,
 * over HTTP, against the real PostgreSQL and MariaDB (READ COMMITTED and REPEATABLE READ) and
 * SQLite.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { call, type Storage, startServiceFixture, startStub } from '@cafeteria/platform/testing'
import { orderService } from './index.ts'

const RETRIES = 24

for (const storage of ['postgres', 'mysql', 'sqlite'] as Storage[]) {
  describe(`Idempotency-Key retries on ${storage}`, () => {
    test('Given a first attempt whose payment was refused, when retries with the same key come together, then one order is placed and paid once', async (t) => {
      // Payment refuses the first charge (a declined card), then approves every one it is asked.
      const charged = new Set<number>()
      let declined = false
      const payment = await startStub(({ body }) => {
        if (!declined) {
          declined = true
          return { status: 422, body: { detail: 'card declined' } }
        }
        charged.add(body.orderId)
        return { status: 201, body: { id: body.orderId } }
      })
      t.after(() => payment.close())
      const f = await startServiceFixture(orderService, {
        storage,
        env: { PAYMENT_URL: payment.url, POINT_URL: 'http://127.0.0.1:9' },
      })
      t.after(() => f.stop())

      const phoneNumber = '01033330001'
      const place = () =>
        call(`${f.url}/orders`, {
          method: 'POST',
          json: { phoneNumber, productName: 'latte', qty: 1, amt: 500 },
          headers: { 'idempotency-key': `retry-${storage}` },
        })
      const first = await place()
      assert.equal(first.status, 422, JSON.stringify(first.body))

      const answers = await Promise.all(Array.from({ length: RETRIES }, place))
      const statuses = answers.map((a) => a.status)
      assert.ok(
        statuses.every((s) => s === 201 || s === 409),
        statuses.join(','),
      )
      const placed = answers.filter((a) => a.status === 201)
      assert.ok(placed.length >= 1, statuses.join(','))
      assert.equal(new Set(placed.map((a) => a.body.id)).size, 1, 'every 201 is the same order')

      assert.equal(charged.size, 1, `paid ${charged.size} orders: ${[...charged].join(', ')}`)
      const ordered = await f.db
        .selectFrom('order_management')
        .select(['id', 'status'])
        .where('phone_number', '=', phoneNumber)
        .where('status', '=', 'Ordered')
        .execute()
      assert.deepEqual(
        ordered.map((o) => Number(o.id)),
        [placed[0]?.body.id],
      )
      await f.settle()
      assert.equal(f.emittedOf('Ordered').length, 1, 'one Ordered: one ticket, one accrual')

      const later = await place()
      assert.equal(later.status, 201)
      assert.equal(later.body.id, placed[0]?.body.id)
      assert.equal(later.headers.get('idempotent-replayed'), 'true')
    })
  })
}
