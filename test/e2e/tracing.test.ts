import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { tempDir } from '@cafeteria/platform/testing'
import { type Credentials, startSecureSystem } from '../support/secure.ts'
import { call, waitFor } from '../support/system.ts'

interface Span {
  readonly service: string
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string
  readonly name: string
  readonly kind: (typeof KINDS)[number]
  readonly attributes: Readonly<Record<string, unknown>>
}

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const
type Attribute = { key: string; value: Record<string, unknown> }
const attributesOf = (list: Attribute[] = []) =>
  Object.fromEntries(list.map((a) => [a.key, Object.values(a.value)[0]]))

/** An OTLP/HTTP collector that keeps what the services export (`http/json`). */
async function startCollector() {
  const spans: Span[] = []
  const requests: Array<{ url?: string; type?: string; authorization?: string }> = []
  const server: Server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
    })
    request.on('end', () => {
      requests.push({
        url: request.url,
        type: request.headers['content-type'],
        authorization: request.headers.authorization,
      })
      for (const resourceSpans of JSON.parse(body).resourceSpans) {
        const resource = attributesOf(resourceSpans.resource.attributes)
        for (const scope of resourceSpans.scopeSpans) {
          for (const span of scope.spans) {
            spans.push({
              service: String(resource['service.name']),
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              name: span.name,
              kind: KINDS[span.kind] ?? 'unspecified',
              attributes: attributesOf(span.attributes),
            })
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    spans,
    requests,
    env: {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20collector-token',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    },
    close: () =>
      new Promise((resolve) => {
        server.close(resolve)
        server.closeAllConnections()
      }),
  }
}

/** The span of `service` named so in one trace; fails unless there is exactly one. */
function only(spans: readonly Span[], service: string, name: string): Span {
  const found = spans.filter((s) => s.service === service && s.name === name)
  assert.equal(found.length, 1, `${service} "${name}": ${found.length} spans among ${names(spans)}`)
  return found[0] as Span
}

const names = (spans: readonly Span[]) => spans.map((s) => `${s.service}:${s.name}`).join(', ')

/** Every span an order's placement makes, from the gateway to the last consumer. */
const EXPECTED = [
  ['gateway', 'POST /orders'],
  ['order', 'POST /orders'],
  ['order', 'POST /payments'],
  ['payment', 'POST /payments'],
  ['payment', 'send PaymentApproved'],
  ['order', 'send Ordered'],
  ['drink', 'process Ordered'],
  ['point', 'process Ordered'],
  ['point', 'send PointsAccrued'],
  ['customercenter', 'process Ordered'],
] as const

for (const storage of ['in memory, one thread', 'on disk, as many threads as embedded mode uses']) {
  describe(`tracing on (${storage})`, () => {
    let collector: Awaited<ReturnType<typeof startCollector>>
    let system: Awaited<ReturnType<typeof startSecureSystem>>
    let customer: Credentials
    let scratch: Awaited<ReturnType<typeof tempDir>> | undefined
    before(async () => {
      collector = await startCollector()
      scratch = storage.startsWith('on disk') ? await tempDir() : undefined
      system = await startSecureSystem({
        ...collector.env,
        ...(scratch && { CAFE_DATA_DIR: scratch.path }),
      })
      customer = await system.customer('01012345679')
    })
    after(async () => {
      await system.stop()
      await collector.close()
      await scratch?.remove()
    })

    const traceOf = async (traceId: string) =>
      waitFor(
        async () => {
          const spans = collector.spans.filter((s) => s.traceId === traceId)
          return EXPECTED.every(([service, name]) =>
            spans.some((s) => s.service === service && s.name === name),
          )
            ? spans
            : undefined
        },
        10_000,
        'every span of the order',
      )

    test("an order's placement, payment, ticket, points and notification form one trace", async () => {
      const placed = await call(`${system.url}/orders`, {
        method: 'POST',
        json: { productId: 'americano', qty: 1 },
        headers: customer,
      })
      assert.equal(placed.status, 201)
      const entry = await waitFor(async () =>
        collector.spans.find((s) => s.service === 'gateway' && s.name === 'POST /orders'),
      )
      const spans = await traceOf(entry.traceId)

      const gateway = only(spans, 'gateway', 'POST /orders')
      assert.equal(gateway.kind, 'server')
      assert.equal(gateway.parentSpanId, '', 'the gateway starts the trace')
      assert.equal(gateway.attributes['http.response.status_code'], 201)
      const orderServer = only(spans, 'order', 'POST /orders')
      assert.equal(orderServer.kind, 'server')
      assert.equal(orderServer.parentSpanId, gateway.spanId)
      const pay = only(spans, 'order', 'POST /payments')
      assert.equal(pay.kind, 'client')
      assert.equal(pay.parentSpanId, orderServer.spanId)
      const paymentServer = only(spans, 'payment', 'POST /payments')
      assert.equal(paymentServer.kind, 'server')
      assert.equal(paymentServer.parentSpanId, pay.spanId)
      assert.equal(only(spans, 'payment', 'send PaymentApproved').parentSpanId, paymentServer.spanId)
      const ordered = only(spans, 'order', 'send Ordered')
      assert.equal(ordered.kind, 'producer')
      assert.equal(ordered.parentSpanId, orderServer.spanId)
      for (const consumer of ['drink', 'point', 'customercenter']) {
        const process = only(spans, consumer, 'process Ordered')
        assert.equal(process.kind, 'consumer')
        assert.equal(process.parentSpanId, ordered.spanId, consumer)
        assert.equal(process.attributes['cafe.delivery.outcome'], 'handled')
      }
      const accrued = only(spans, 'point', 'send PointsAccrued')
      assert.equal(accrued.parentSpanId, only(spans, 'point', 'process Ordered').spanId)
      // Exported as configured: the endpoint's traces path, JSON, the headers given.
      for (const request of collector.requests) {
        assert.deepEqual(request, {
          url: '/v1/traces',
          type: 'application/json',
          authorization: 'Bearer collector-token',
        })
      }
    })

    test("a caller's trace context is continued, and probes make no spans", async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
      const callerSpan = '00f067aa0ba902b7'
      const placed = await call(`${system.url}/orders`, {
        method: 'POST',
        json: { productId: 'americano', qty: 1 },
        headers: { ...customer, traceparent: `00-${traceId}-${callerSpan}-01` },
      })
      assert.equal(placed.status, 201)
      const spans = await traceOf(traceId)
      assert.equal(only(spans, 'gateway', 'POST /orders').parentSpanId, callerSpan)
      await call(`${system.url}/health/ready`)
      await call(`${system.serviceUrl('order')}/metrics`)
      await new Promise((resolve) => setTimeout(resolve, 300))
      assert.ok(!collector.spans.some((s) => /health|metrics/.test(s.name)), names(collector.spans))
    })
  })
}
