import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Bus, OutgoingMessage } from '../../packages/platform/src/index.ts'
import { type Credentials, startSecureSystem } from '../support/secure.ts'
import { call, waitFor } from '../support/system.ts'

// Its own file, so its own process: nothing here may have loaded the tracing SDK.
const published: OutgoingMessage[] = []
const watch = (bus: Bus): Bus => ({
  ...bus,
  kind: bus.kind,
  publish: (messages) => {
    published.push(...messages)
    return bus.publish(messages)
  },
  consume: (consumer, handle, options) => bus.consume(consumer, handle, options),
  health: () => bus.health(),
  close: () => bus.close(),
})

let system: Awaited<ReturnType<typeof startSecureSystem>>
let customer: Credentials
before(async () => {
  system = await startSecureSystem({}, { decorateBus: watch })
  customer = await system.customer('01012345679')
})
const americano = { productId: 'americano', qty: 1 }
after(() => system.stop())

test('with tracing off, requests with or without trace context work and nothing is traced', async () => {
  const plain = await call(`${system.url}/orders`, { method: 'POST', json: americano, headers: customer })
  assert.equal(plain.status, 201)
  const withContext = await call(`${system.url}/orders`, {
    method: 'POST',
    json: americano,
    headers: {
      ...customer,
      traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
      tracestate: 'vendor=x',
    },
  })
  assert.equal(withContext.status, 201)
  const malformed = await call(`${system.url}/orders`, {
    method: 'POST',
    json: americano,
    headers: { ...customer, traceparent: 'not a trace context' },
  })
  assert.equal(malformed.status, 201)
  await waitFor(async () => published.filter((m) => m.type === 'PointsAccrued').length === 3)
  assert.ok(published.length >= 9, `${published.length} events published`)
  assert.deepEqual(
    published.filter((m) => m.headers !== undefined),
    [],
    'no event carries trace headers',
  )
  // The OpenTelemetry API keeps its registrations under this global once anything registers.
  assert.equal((globalThis as Record<symbol, unknown>)[Symbol.for('opentelemetry.js.api.1')], undefined)
})
