import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { pointsFor } from '@cafeteria/contracts'
import { accepts, otherLoopback } from '@cafeteria/platform/testing'
import { freePort } from '../support/process.ts'
import { type Credentials, startSecureSystem } from '../support/secure.ts'
import { call, waitFor } from '../support/system.ts'

interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/** The Prometheus text format, line by line: `# HELP`, `# TYPE`, then `name{label="v",…} value`. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    const type = /^# TYPE (\w+) (counter|gauge|histogram|summary|untyped)$/.exec(line)
    if (type) {
      types.set(type[1] as string, type[2] as string)
      continue
    }
    if (line.startsWith('# HELP ')) continue
    // prom-client writes a gauge with no samples yet (the event loop's lag right after a start) as
    // `Nan`, which Prometheus reads as it reads `NaN`.
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (-?[\d.e+-]+|NaN|Nan|[+-]Inf)$/.exec(line)
    assert.ok(sample, `not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, key, value] of (sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key as string] = value as string
    }
    samples.push({ name: sample[1] as string, labels, value: Number(sample[3]) })
  }
  return { samples, types }
}

type System = Awaited<ReturnType<typeof startSecureSystem>>
let system: System
let gatewayMetrics: string
let customer: Credentials
const place = (json: Record<string, unknown>) =>
  call(`${system.url}/orders`, { method: 'POST', json, headers: customer })

async function scrape(url: string) {
  const answer = await fetch(`${url}/metrics`)
  assert.equal(answer.status, 200)
  assert.match(answer.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  return parse(await answer.text())
}

/** The value of the one sample named so whose labels include `labels`; undefined when absent. */
function value(samples: readonly Sample[], name: string, labels: Record<string, string> = {}) {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`)
  return found[0]?.value
}

before(async () => {
  const port = await freePort()
  gatewayMetrics = `http://127.0.0.1:${port}`
  system = await startSecureSystem({ GATEWAY_METRICS_PORT: String(port) })
  customer = await system.customer('01012345679')
})
after(() => system.stop())

test('after an order, every service shows what it did in /metrics', async () => {
  const placed = await place({ productId: 'americano', qty: 1 })
  assert.equal(placed.status, 201)
  const refused = await place({ productId: 'americano', qty: 'three' })
  assert.equal(refused.status, 400)

  // Points come through events: wait for the accrual, then for every outbox to drain. The accrual
  // is counted once its transaction commits, the event only after its handler returned: wait for both.
  const point = await waitFor(async () => {
    const { samples } = await scrape(system.serviceUrl('point'))
    return (
      value(samples, 'cafe_points_issued_total') === pointsFor(placed.body.amt) &&
      value(samples, 'cafe_events_consumed_total', { type: 'Ordered', outcome: 'handled' }) !== undefined &&
      samples
    )
  })
  assert.equal(value(point, 'cafe_events_consumed_total', { type: 'Ordered', outcome: 'handled' }), 1)
  assert.equal(value(point, 'cafe_dead_letters'), 0)
  assert.equal(value(point, 'cafe_points_deducted_total'), 0)

  for (const name of ['order', 'payment', 'drink', 'customercenter', 'point']) {
    const { samples, types } = await waitFor(async () => {
      const scraped = await scrape(system.serviceUrl(name))
      return value(scraped.samples, 'cafe_outbox_backlog') === 0 && scraped
    })
    assert.equal(value(samples, 'cafe_outbox_oldest_age_seconds'), 0, name)
    assert.equal(value(samples, 'cafe_dead_letters'), 0, name)
    assert.equal(types.get('http_request_duration_seconds'), 'histogram')
    for (const sample of samples) assert.equal(sample.labels.service, name, sample.name)
    assert.ok(value(samples, 'process_cpu_seconds_total') !== undefined, name)
  }

  const orderMetrics = (await scrape(system.serviceUrl('order'))).samples
  assert.equal(value(orderMetrics, 'cafe_orders_placed_total'), 1)
  assert.equal(
    value(orderMetrics, 'http_request_duration_seconds_count', {
      method: 'POST',
      route: '/orders',
      status: '201',
    }),
    1,
  )
  assert.equal(
    value(orderMetrics, 'http_request_duration_seconds_count', {
      method: 'POST',
      route: '/orders',
      status: '400',
    }),
    1,
  )
  const published = value(orderMetrics, 'cafe_events_published_total', { type: 'Ordered' })
  assert.equal(published, 1)
  for (const callee of ['payment', 'point']) {
    assert.equal(value(orderMetrics, 'cafe_breaker_state', { callee, state: 'closed' }), 1, callee)
    assert.equal(value(orderMetrics, 'cafe_breaker_state', { callee, state: 'open' }), 0, callee)
    assert.equal(value(orderMetrics, 'cafe_breaker_opened_total', { callee }), 0, callee)
  }
  assert.equal(value(orderMetrics, 'cafe_breaker_calls_total', { callee: 'payment' }), 1)
  assert.equal(value(orderMetrics, 'cafe_breaker_failures_total', { callee: 'payment' }), 0)

  const payment = (await scrape(system.serviceUrl('payment'))).samples
  // A route pattern, never the raw URL.
  assert.equal(
    value(payment, 'http_request_duration_seconds_count', { method: 'POST', route: '/payments' }),
    1,
  )
  const drink = (await scrape(system.serviceUrl('drink'))).samples
  assert.equal(value(drink, 'cafe_events_consumed_total', { type: 'Ordered', outcome: 'handled' }), 1)
  assert.equal(value(drink, 'cafe_event_redeliveries_total', { type: 'Ordered' }), undefined)
})

test("the gateway shows its own requests by route pattern, and none of the services', on its metrics port only", async () => {
  const placed = await place({ productId: 'caffe-latte', qty: 2 })
  assert.equal(placed.status, 201)
  assert.equal(
    (await call(`${system.url}${placed.headers.get('location')}`, { headers: customer })).status,
    200,
  )
  await call(`${system.url}/health/ready`)
  // Not on the public port, whoever asks; on the metrics port, for a scraper on this host.
  assert.equal((await call(`${system.url}/metrics`)).status, 404)
  if (otherLoopback) {
    assert.equal(await accepts(otherLoopback, Number(new URL(gatewayMetrics).port)), false)
  }
  assert.equal((await call(`${gatewayMetrics}/orders`)).status, 404, 'the metrics port serves nothing else')
  const { samples } = await scrape(gatewayMetrics)
  const count = (labels: Record<string, string>) =>
    value(samples, 'http_request_duration_seconds_count', labels)
  assert.ok((count({ method: 'POST', route: '/orders', status: '201' }) ?? 0) >= 1)
  assert.equal(count({ method: 'GET', route: '/orders/*', status: '200' }), 1)
  assert.ok(!samples.some((s) => s.labels.route?.startsWith('/health')), 'probes are not counted')
  assert.ok(!samples.some((s) => s.name.startsWith('cafe_')), 'no service metric leaks through')
  for (const sample of samples) assert.equal(sample.labels.service, 'gateway')
  // The gateway routes only its public prefixes: a service's /metrics is not among them.
  assert.equal((await call(`${system.url}/orders/metrics`, { headers: customer })).status, 400)
})

test('a cancel refused and one recorded are counted by reason', async () => {
  const placed = await place({ productId: 'cappuccino', qty: 1 })
  const id = placed.body.id
  await waitFor(async () => {
    const found = await call(`${system.url}/pointHistories/search/findByOrderId?orderId=${id}`, {
      headers: customer,
    })
    return found.body._embedded.pointHistories.length > 0
  })
  const cancel = () =>
    call(`${system.url}/orders/${id}`, {
      method: 'PATCH',
      json: { status: 'OrderCanceled' },
      headers: customer,
    })
  assert.equal((await cancel()).status, 200)
  assert.equal((await cancel()).status, 409)
  const samples = (await scrape(system.serviceUrl('order'))).samples
  assert.equal(value(samples, 'cafe_orders_canceled_total'), 1)
  assert.equal(value(samples, 'cafe_order_cancels_refused_total', { reason: 'not-cancellable' }), 1)
  assert.equal(
    value((await scrape(system.serviceUrl('point'))).samples, 'cafe_points_deducted_total'),
    pointsFor(placed.body.amt),
  )
})
