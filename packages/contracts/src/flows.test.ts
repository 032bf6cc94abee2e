import assert from 'node:assert/strict'
import { test } from 'node:test'
import { consumedBy, emittedBy, eventSchemas, type Flow, type Flows, flows, serviceNames } from './index.ts'

test('every event of the contracts has its one producer, and the table names no other event', () => {
  assert.deepEqual(Object.keys(flows).sort(), Object.keys(eventSchemas).sort())
  assert.deepEqual(serviceNames.flatMap(emittedBy).sort(), Object.keys(eventSchemas).sort())
})

test('a service consumes what the table lists it under', () => {
  assert.deepEqual(consumedBy('point'), ['Ordered', 'CancelFailed'])
  assert.deepEqual(emittedBy('customercenter'), [])
})

// The table's types, checked by the compiler (`npm run typecheck`): each marked line must not compile.
export const typeChecks: readonly (Flows | Flow)[] = [
  {
    ...flows,
    // @ts-expect-error: `Shipped` is no event of the contracts
    Shipped: { producer: 'drink', when: 'never', consumers: {} },
  },
  // @ts-expect-error: an event of the contracts left out
  { Ordered: flows.Ordered },
  // @ts-expect-error: there is no `kitchen` service
  { producer: 'kitchen', when: 'never', consumers: {} },
  // @ts-expect-error: nor a `gateway` one among those exchanging events
  { producer: 'order', when: 'never', consumers: { gateway: 'routes' } },
]
