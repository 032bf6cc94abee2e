import assert from 'node:assert/strict'
import { test } from 'node:test'
import { consumedBy, type EventType, emittedBy, type ServiceName, serviceNames } from '@cafeteria/contracts'
import { customercenterConsumes } from '@cafeteria/customercenter'
import { drinkConsumes, drinkEmits } from '@cafeteria/drink'
import { orderConsumes, orderEmits } from '@cafeteria/order'
import { paymentConsumes, paymentEmits } from '@cafeteria/payment'
import { pointConsumes, pointEmits } from '@cafeteria/point'
import { services } from './services.ts'

/**
 * What each service declares it emits and handles. The compiler holds the code to these lists: a
 * service's handlers are exactly its `…Consumes` (`EventHandlersFor`), and its deciders return
 * only events of its `…Emits`. Here the lists are held to the contracts' flows table, so a handler
 * added or removed, or an event newly emitted, fails until the table (and the README) says so.
 */
const declared: Record<ServiceName, { emits: readonly EventType[]; consumes: readonly EventType[] }> = {
  order: { emits: orderEmits, consumes: orderConsumes },
  payment: { emits: paymentEmits, consumes: paymentConsumes },
  drink: { emits: drinkEmits, consumes: drinkConsumes },
  // Folds My Page and queues messages; it tells the other services nothing.
  customercenter: { emits: [], consumes: customercenterConsumes },
  point: { emits: pointEmits, consumes: pointConsumes },
}

const sorted = (types: readonly string[]) => [...types].sort()
const fix = 'change packages/contracts/src/flows.ts, then `npm run docs:flows`'

test('the flows table knows every service that runs, and no other', () => {
  assert.deepEqual(sorted(services.map((s) => s.definition.name)), sorted(serviceNames))
})

for (const service of serviceNames) {
  test(`${service} handles the events the flows table says it consumes`, () => {
    assert.deepEqual(
      sorted(declared[service].consumes),
      sorted(consumedBy(service)),
      `${service}'s handlers differ from the table's consumers: ${fix}`,
    )
  })
  test(`${service} emits the events the flows table says it produces`, () => {
    assert.deepEqual(
      sorted(declared[service].emits),
      sorted(emittedBy(service)),
      `${service}'s events differ from the table's producers: ${fix}`,
    )
  })
}
