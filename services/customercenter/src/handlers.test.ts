/**
 * The read model and the notifications, driven through the bus: every event delivered twice
 * (again under its id, and re-issued under a new one) and in reverse order must give the same
 * row and exactly one notification per kind. On SQLite and on the real PostgreSQL.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { DomainEvent } from '@cafeteria/contracts'
import { reissued, type Storage, waitFor } from '@cafeteria/platform/testing'
import type { MyPageEventType } from './domain.ts'
import { eventsOf, PHONE, settled, startCustomercenter } from './testing.ts'

const flows: ReadonlyArray<{
  name: string
  types: MyPageEventType[]
  status: string
  kinds: string[]
}> = [
  {
    name: 'ordered, receipted, made',
    types: ['Ordered', 'Receipted', 'Made'],
    status: 'Made',
    kinds: ['Ordered', 'Receipted', 'Made'],
  },
  {
    name: 'cancelled and refunded',
    types: ['Ordered', 'OrderCanceled', 'DrinkCanceled', 'PaymentCanceled'],
    status: 'PaymentCanceled',
    kinds: ['Ordered', 'PaymentCanceled'],
  },
  {
    name: 'cancel refused',
    types: ['Ordered', 'Receipted', 'OrderCanceled', 'CancelFailed'],
    status: 'Receipted',
    kinds: ['Ordered', 'Receipted', 'CancelFailed'],
  },
]

const messages: Record<string, string> = {
  Ordered: 'Your Order is Ordered',
  Receipted: 'Your Order is Receipted',
  Made: 'Your Order is Made\nCome and Take it, Please!',
  PaymentCanceled: 'Your Payment is Canceled',
  CancelFailed: 'Your Order is already started. You cannot cancel!!',
}

for (const storage of ['sqlite', 'postgres', 'mysql'] as Storage[]) {
  describe(`event handlers on ${storage}`, () => {
    for (const flow of flows) {
      test(`${flow.name}: reversed and duplicated, the row ends ${flow.status} with one notification per kind`, async (t) => {
        const cc = await startCustomercenter({ storage })
        t.after(() => cc.stop())
        const event = eventsOf(7)
        const events = flow.types.map((type) => event(type)).reverse()
        await cc.publish(events)
        await cc.publish(events)
        await cc.publish(events.map(reissued))
        await settled(cc, 99)

        const pages = (await cc.get(`/mypages/search/findByPhoneNumber?phoneNumber=${PHONE}`)).body
        assert.deepEqual(pages, [
          {
            id: pages[0].id,
            orderId: 7,
            productName: 'latte',
            qty: 2,
            amt: 900,
            phoneNumber: PHONE,
            status: flow.status,
          },
        ])
        const sent = await waitFor(async () => {
          const found = (await cc.get(`/notifications/search/findByPhoneNumber?phoneNumber=${PHONE}`)).body
            ._embedded.notifications
          return found.every((n: { status: string }) => n.status === 'sent') && found
        })
        assert.deepEqual(
          sent.map((n: { kind: string }) => n.kind).sort(),
          [...flow.kinds].sort(),
          'exactly one notification per kind',
        )
        for (const n of sent) assert.equal(n.message, messages[n.kind])
      })
    }

    test('all the events of many orders at once, concurrently: every row ends right', async (t) => {
      const cc = await startCustomercenter({ storage, env: { CONSUMER_CONCURRENCY: '64' } })
      t.after(() => cc.stop())
      const orders = Array.from({ length: 12 }, (_, i) => ({ orderId: i + 1, flow: flows[i % flows.length] }))
      const published: DomainEvent[] = []
      for (const { orderId, flow } of orders) {
        const event = eventsOf(orderId)
        published.push(...(flow?.types ?? []).flatMap((type) => [event(type), reissued(event(type))]))
      }
      await cc.publish(published)
      const expected = orders.map((o) => o.flow?.status)
      await waitFor(
        async () => {
          const pages = (await cc.get(`/mypages/search/findByPhoneNumber?phoneNumber=${PHONE}`)).body
          return JSON.stringify(pages.map((p: { status: string }) => p.status)) === JSON.stringify(expected)
        },
        10_000,
        { what: 'every order in its final status' },
      )
      const notifications = await waitFor(async () => {
        const found = (await cc.get(`/notifications/search/findByPhoneNumber?phoneNumber=${PHONE}`)).body
          ._embedded.notifications
        return found.length === orders.reduce((n, o) => n + (o.flow?.kinds.length ?? 0), 0) && found
      })
      const keys = notifications.map((n: { orderId: number; kind: string }) => `${n.orderId}/${n.kind}`)
      assert.equal(new Set(keys).size, keys.length, 'never two notifications of one kind for an order')
    })
  })
}
