import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Bus, BusMessage } from '@cafeteria/platform'
import { startSecureSystem } from '../support/secure.ts'
import { call, waitFor } from '../support/system.ts'
import { signedInWalkthrough } from './walkthrough.ts'

/**
 * The whole scenario under a bus that misbehaves in every way the contract allows: each event's
 * first delivery takes effect but its acknowledgement is lost, the second fails before the
 * handler runs, and the third is handed over twice. The outcome must be exactly the same.
 */
const deliveries = new Map<string, number>()

function unreliable(bus: Bus): Bus {
  return {
    kind: bus.kind,
    publish: (messages) => bus.publish(messages),
    health: () => bus.health(),
    close: () => bus.close(),
    consume(consumer, handle, options) {
      return bus.consume(
        consumer,
        async (message: BusMessage) => {
          const key = `${consumer}/${message.id}`
          const seen = (deliveries.get(key) ?? 0) + 1
          deliveries.set(key, seen)
          if (seen === 1) {
            await handle(message)
            throw new Error('acknowledgement lost')
          }
          if (seen === 2) throw new Error('handler failed')
          await handle(message)
          await handle({ ...message, attempt: message.attempt + 1 })
        },
        { ...options, retryDelay: () => 20 },
      )
    },
  }
}

let system: Awaited<ReturnType<typeof startSecureSystem>>
before(async () => {
  system = await startSecureSystem({}, { decorateBus: unreliable })
})
after(() => system.stop())

test('every event delivered twice or more, and failing twice before it succeeds: the same result', async () => {
  const phoneNumber = '01066660001'
  const customer = await system.customer(phoneNumber)
  const balance = await signedInWalkthrough(system.url, { phoneNumber, customer, staff: system.staff })
  // The last events of the walkthrough may still be on their way through the three deliveries.
  await waitFor(
    async () => [...deliveries.values()].every((n) => n >= 3),
    5000,
    'every event delivered thrice',
  )
  assert.ok(deliveries.size > 20, `${deliveries.size} events observed`)
  // And once everything has settled, still exactly the walkthrough's outcome.
  const mine = (path: string) => call(`${system.url}${path}`, { headers: customer })
  const points = await mine('/points/search/findByPhoneNumber')
  assert.equal(points.body._embedded.points[0].point, balance)
  const history = await mine('/pointHistories/search/findByPhoneNumberOrderByCreateTime')
  assert.equal(history.body._embedded.pointHistories.length, 6, '3 accruals, 2 deductions, 1 restoration')
  const notes = await mine('/notifications/search/findByPhoneNumber')
  assert.equal(notes.body._embedded.notifications.length, 7, '3 ordered, refund, receipted, refusal, made')
})
