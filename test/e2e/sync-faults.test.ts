import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { pointsFor } from '@cafeteria/contracts'
import { type FaultProxy, startFaultProxy } from '@cafeteria/platform/testing'
import { type Cluster, startCluster } from '../support/cluster.ts'
import { type Credentials, type SecureAccess, startSecureAccess } from '../support/secure.ts'
import { call, waitFor } from '../support/system.ts'
import { menuOrder } from './scenario.ts'

/**
 * Fault injection on the synchronous calls, distributed mode: payment slow under load (the
 * breaker opens, answers fall back at once, nothing half-done remains, and orders flow again once
 * payment recovers), and point down while customers cancel (refused, nothing changed, and the
 * same cancel works once point is back).
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN
const round = (ms: number) => Math.round(ms * 10) / 10

describe('payment slow under 50 concurrent clients', () => {
  // Open long enough to see the fallback settle, short enough to keep the test short.
  const HALF_OPEN_MS = 8000
  /**
   * Payment recovers this long after the breaker opened: seconds before it may let a call through to
   * probe, so that even a host busy enough to stall the test for a while recovers it in time.
   */
  const RECOVER_MS = 4000
  /** Calls made this long after the breaker opened are "later calls" (see the assertion). */
  const SETTLE_MS = 1000
  const TIMEOUT_MS = 610
  /** The least time a call that reaches payment takes: the proxy holds each for 400–620 ms. */
  const HELD_MS = 400
  const CLIENTS = 50
  /**
   * Clients that go on ordering once payment has recovered: enough to see orders flow again through
   * the probe, few enough that a host busy with other work still pays each within the deadline. All
   * 50 at once made such a host time out and open the breaker again, which says nothing about it.
   */
  const RECOVERY_CLIENTS = 5
  const phoneNumber = '01066610001'
  let access: SecureAccess
  let proxy: FaultProxy
  let cluster: Cluster
  let signedIn: Credentials
  before(async () => {
    access = await startSecureAccess()
    // The proxy's address goes into order's PAYMENT_URL; payment's own is known once it runs.
    proxy = await startFaultProxy(() => ({
      host: '127.0.0.1',
      port: Number(new URL(cluster.url('payment')).port),
    }))
    cluster = await startCluster({
      access: access.env,
      env: {
        order: {
          PAYMENT_URL: proxy.url,
          PAYMENT_TIMEOUT_MS: String(TIMEOUT_MS),
          // Judged sooner, and at 20% rather than 30%: with no bulkhead here only timeouts fail,
          // and 400–620 ms against 610 ms times out 10–30% of calls on this machine, so at 30%
          // the breaker opened in most runs but not all.
          PAYMENT_BREAKER_MIN_CALLS: '10',
          PAYMENT_BREAKER_WINDOW_MS: '5000',
          PAYMENT_BREAKER_FAILURE_RATIO: '0.2',
          PAYMENT_BREAKER_HALF_OPEN_MS: String(HALF_OPEN_MS),
        },
      },
    })
    signedIn = await access.customer(cluster.gatewayUrl, phoneNumber)
  })
  after(async () => {
    await cluster?.close()
    await proxy?.close()
    await access?.close()
  })

  test('the breaker opens and falls back at once; no order without its payment, no payment without its order; orders flow again after recovery', async (t) => {
    const url = cluster.gatewayUrl
    type Sample = { start: number; end: number; status: number; retryAfter: string | null; id?: number }
    type Reading = {
      sent: number
      received: number
      state: string
      opened: number
      calls: number
      failures: number
    }
    const samples: Sample[] = []
    const readings: Reading[] = []
    let stopped = false
    let recovering = false

    // Customers: each places an order, pauses a random 0–2000 ms, and orders again: about 50
    // orders/s at most, well under what distributed mode takes even on a slow host. Faster, the
    // burst when the breaker closes again saturated the two cores and timeouts opened it again.
    const customer = async (n: number) => {
      for (let i = 0; !stopped && !(recovering && n >= RECOVERY_CLIENTS); i++) {
        const start = performance.now()
        const answer = await call(`${url}/orders`, {
          method: 'POST',
          json: { ...menuOrder(n + i), qty: 1 },
          headers: signedIn,
        })
        const end = performance.now()
        samples.push({
          start,
          end,
          status: answer.status,
          retryAfter: answer.headers.get('retry-after'),
          ...(answer.status === 201 && { id: answer.body.id as number }),
        })
        await sleep(Math.random() * 2000)
      }
    }
    // The operator's view: the breaker in order's readiness details, read every 20 ms.
    const watch = async () => {
      while (!stopped) {
        const sent = performance.now()
        const ready = await call(`${cluster.url('order')}/health/ready`)
        const payment = ready.body.details.payment
        const { state, opened, calls, failures } = payment
        readings.push({ sent, received: performance.now(), state, opened, calls, failures })
        await sleep(20)
      }
    }

    /** The breaker's changes of state, for the report and for a failure's message. */
    const timeline = (from: number) =>
      readings
        .filter(
          (r, i) => i === 0 || r.state !== readings[i - 1]?.state || r.opened !== readings[i - 1]?.opened,
        )
        .map((r) => `${Math.round(r.received - from)} ms ${r.state}`)
        .join(', ')

    const ms = (s: Sample) => s.end - s.start
    const sorted = (values: number[]) => values.sort((a, b) => a - b)
    /**
     * When the breaker was surely open: from the answer of a reading that showed it open to the
     * question of the last reading that showed it open with the same count of openings.
     */
    const openSpans = () => {
      const spans: Array<{ opened: number; from: number; to: number }> = []
      let first: Reading | undefined
      for (const [i, r] of readings.entries()) {
        if (r.state !== 'open') first = undefined
        else if (!first || first.opened !== r.opened) first = r
        const next = readings[i + 1]
        if (first && first !== r && (next?.state !== 'open' || next.opened !== first.opened))
          spans.push({ opened: first.opened, from: first.received, to: r.sent })
      }
      return spans
    }
    const answeredWhileOpen = (spans: ReturnType<typeof openSpans>) =>
      samples.filter((s) => s.status === 503 && spans.some(({ from, to }) => s.start >= from && s.end <= to))
    /**
     * The fallback to later calls: made at least SETTLE_MS after the breaker opened. Calls made
     * sooner share the two cores with the wake of the slow calls in flight when it opened (each
     * ends within one 610 ms attempt, since the open breaker refuses its retry; then its rejection,
     * void or Ordered event is written, relayed and consumed): reported apart.
     */
    const laterFallback = (opening: Reading) =>
      sorted(
        answeredWhileOpen(openSpans().filter((span) => span.opened === opening.opened))
          .filter((s) => s.start >= opening.received + SETTLE_MS)
          .map(ms),
      )
    const slow = () => HELD_MS + Math.random() * 220

    // Each call held 400–620 ms, against a 610 ms deadline: the original's demo.
    proxy.delay(slow)
    const began = performance.now()
    const load = [watch(), ...Array.from({ length: CLIENTS }, (_, n) => customer(n))]
    let recovered = Number.NaN
    const phases = async () => {
      const opening = await waitFor(
        async () => readings.find((r) => r.state === 'open'),
        15_000,
        'the payment breaker to open',
      )
      await sleep(opening.received + RECOVER_MS - performance.now())
      const measured = laterFallback(opening)
      // Payment recovers while the breaker is open, before it lets a call through to probe.
      proxy.delay(0)
      recovering = true
      recovered = performance.now()
      const firstSuccess = await waitFor(
        async () => samples.find((s) => s.start >= recovered && s.status === 201),
        HALF_OPEN_MS + 15_000,
        'an order placed after payment recovered',
      )
      await sleep(3000)
      return { opening, measured, firstSuccess }
    }
    let outcome: Awaited<ReturnType<typeof phases>>
    try {
      outcome = await phases()
    } catch (error) {
      ;(error as Error).message +=
        ` (breaker, from the start of the load: ${timeline(began)}; payment recovered at ` +
        `${Math.round(recovered - began)} ms; ${samples.length} answers so far; ` +
        `${readings.at(-1)?.calls} calls to payment, ${readings.at(-1)?.failures} failed)`
      throw error
    } finally {
      stopped = true
      await Promise.all(load)
    }
    const { opening, measured, firstSuccess } = outcome
    const loadMs = performance.now() - began

    const whileOpen = new Set(answeredWhileOpen(openSpans()))
    const fallbackMs = sorted([...whileOpen].map(ms))
    const otherMs = sorted(samples.filter((s) => s.status === 503 && !whileOpen.has(s)).map(ms))
    const median = percentile(measured, 0.5)
    const callsWhileOpen = new Set(
      readings.filter((r) => r.state === 'open' && r.opened === opening.opened).map((r) => r.calls),
    )
    const atRecovery = readings.find((r) => r.sent >= recovered)
    const recoveryMs = firstSuccess.end - recovered
    const afterRecovery = samples.filter((s) => s.start >= firstSuccess.end)
    const statuses = Object.groupBy(samples, (s) => String(s.status))
    const failed = samples.length - (statuses['201']?.length ?? 0)
    const final = (await call(`${cluster.url('order')}/health/ready`)).body.details.payment
    const figures = (values: number[]) =>
      `median ${round(percentile(values, 0.5))} ms, p99 ${round(percentile(values, 0.99))} ms, ` +
      `max ${round(values.at(-1) ?? 0)} ms`
    t.diagnostic(
      `${samples.length} orders placed by ${CLIENTS} clients over ${round(loadMs / 1000)} s: ` +
        `${statuses['201']?.length ?? 0} answered 201, ${statuses['503']?.length ?? 0} answered 503`,
    )
    t.diagnostic(
      `breaker opened ${Math.round(opening.received - began)} ms into the slow phase, ` +
        `${final.opened} time(s) in all (${final.calls} calls to payment, ${final.failures} failed); ` +
        `from the start of the load: ${timeline(began)}`,
    )
    t.diagnostic(
      `${fallbackMs.length} answers while open: ${figures(fallbackMs)}; the other ${otherMs.length} 503s ` +
        `(timeouts, or around a change of state): median ${round(percentile(otherMs, 0.5))} ms`,
    )
    t.diagnostic(
      `${measured.length} answers to calls made ${SETTLE_MS} ms or more after it opened: ${figures(measured)}`,
    )
    t.diagnostic(
      `payment recovered at ${Math.round(recovered - began)} ms (breaker ${atRecovery?.state}): first order ` +
        `${round(recoveryMs)} ms later; then ${afterRecovery.length} orders, ` +
        `${afterRecovery.filter((s) => s.status === 201).length} answered 201`,
    )

    // Every answer is an order or the fallback; every fallback says when to come back.
    assert.deepEqual(Object.keys(statuses).sort(), ['201', '503'], 'answers are 201 or 503 only')
    assert.ok(
      samples.every((s) => s.status !== 503 || s.retryAfter),
      'every 503 carries Retry-After',
    )
    assert.ok(failed > 0, 'some orders failed while payment was slow')

    // Later calls fail at once: the open breaker answers them without calling payment (its count of
    // calls stands still), so sooner than a call that reaches payment could, however busy the host.
    assert.ok(measured.length >= 50, `${measured.length} later answers while the breaker was open`)
    assert.equal(callsWhileOpen.size, 1, `calls to payment while open: ${[...callsWhileOpen]}`)
    assert.ok(median < HELD_MS, `median of the fallback to later calls ${round(median)} ms`)

    // Payment recovered while the breaker was open; orders succeed again within its half-open window.
    assert.equal(atRecovery?.state, 'open', 'the breaker was open when payment recovered')
    assert.equal(atRecovery?.opened, opening.opened, 'the same opening')
    assert.ok(afterRecovery.length > 0, 'orders were placed after the recovery')
    assert.deepEqual(
      afterRecovery.filter((s) => s.status !== 201).map((s) => s.status),
      [],
      'every order placed after that succeeds',
    )
    assert.equal(final.state, 'closed')
    assert.equal(final.opened, opening.opened, 'the breaker did not open again')

    // A last order, placed alone, bounds the order ids the load used.
    const last = await call(`${url}/orders`, { method: 'POST', json: menuOrder(0), headers: signedIn })
    assert.equal(last.status, 201)
    const placed = new Set([
      ...samples.flatMap((s) => (s.id === undefined ? [] : [s.id])),
      last.body.id as number,
    ])
    assert.equal(placed.size, (statuses['201']?.length ?? 0) + 1, 'one order id per 201')

    // No order but those answered 201, each Ordered and paid; every other payment of an id in the
    // range (a late payment of an order the customer was told failed) ends voided.
    const ids = Array.from({ length: last.body.id as number }, (_, i) => i + 1)
    const inBatches = async <T>(each: (id: number) => Promise<T>) => {
      const out: T[] = []
      for (let i = 0; i < ids.length; i += 25)
        out.push(...(await Promise.all(ids.slice(i, i + 25).map(each))))
      return out
    }
    const orders = await inBatches(async (id) => ({
      id,
      answer: await call(`${url}/orders/${id}`, { headers: signedIn }),
    }))
    assert.deepEqual(
      orders.filter((o) => o.answer.status !== 200 && o.answer.status !== 404),
      [],
      'every order id is found or not',
    )
    const visible = orders.filter((o) => o.answer.status === 200)
    assert.deepEqual(
      visible.map((o) => o.id).sort((a, b) => a - b),
      [...placed].sort((a, b) => a - b),
      'the visible orders are exactly those answered 201',
    )
    assert.deepEqual(
      visible.filter((o) => o.answer.body.status !== 'Ordered').map((o) => o.id),
      [],
      'every visible order is Ordered',
    )
    const paymentsOf = async (id: number) =>
      (await call(`${url}/payments/search/findByOrderId?orderId=${id}`, { headers: signedIn })).body._embedded
        .payments as Array<{
        orderId: number
        status: string
      }>
    const settling = performance.now()
    const payments = await waitFor(
      async () => {
        const all = (await inBatches(paymentsOf)).flat()
        return all.every((p) => placed.has(p.orderId) || p.status !== 'PaymentApproved') && all
      },
      15_000,
      'the late payments of failed orders voided',
    )
    const settleMs = performance.now() - settling
    for (const id of placed) {
      assert.deepEqual(
        payments.filter((p) => p.orderId === id).map((p) => p.status),
        ['PaymentApproved'],
        `order ${id} has its approved payment`,
      )
    }
    const others = payments.filter((p) => !placed.has(p.orderId))
    assert.deepEqual(
      others.filter((p) => p.status !== 'PaymentVoided'),
      [],
      'every payment of an order not placed is voided',
    )
    t.diagnostic(
      `${placed.size} orders placed (incl. a last one): each visible, Ordered, with one approved payment; ` +
        `${ids.length - placed.size} other order ids, none visible, with ${others.length} payments (late ones ` +
        `or refused ahead), all voided (checked ${Math.round(settleMs)} ms after the load)`,
    )
  })
})

describe('point down while customers cancel', () => {
  const phoneNumber = '01066620002'
  let access: SecureAccess
  let cluster: Cluster
  let customer: Credentials
  before(async () => {
    access = await startSecureAccess()
    cluster = await startCluster({ access: access.env })
    customer = await access.customer(cluster.gatewayUrl, phoneNumber)
  })
  after(async () => {
    await cluster?.close()
    await access?.close()
  })

  test('cancels answer 503 with Retry-After and change nothing; once point is back the same cancel works', async (t) => {
    const url = cluster.gatewayUrl
    const get = async (path: string) => (await call(`${url}${path}`, { headers: customer })).body
    const points = async () =>
      (await get(`/points/search/findByPhoneNumber?phoneNumber=${phoneNumber}`))._embedded.points[0]?.point
    const pointHistory = async () =>
      (await get(`/pointHistories/search/findByPhoneNumberOrderByCreateTime?phoneNumber=${phoneNumber}`))
        ._embedded.pointHistories.length
    const notifications = async () =>
      (await get(`/notifications/search/findByPhoneNumber?phoneNumber=${phoneNumber}`))._embedded
        .notifications.length
    const ticket = async (id: number) =>
      (await call(`${url}/drinks/search/findByOrderId?orderId=${id}`, { headers: access.staff })).body
        ._embedded.drinks
    const payment = async (id: number) =>
      (await get(`/payments/search/findByOrderId?orderId=${id}`))._embedded.payments
    const myPage = async (id: number) =>
      ((await get(`/mypages/search/findByOrderId?orderId=${id}`)) as Array<{ status: string }>).map(
        (row) => row.status,
      )
    /** What a cancel must not touch while it is refused. */
    const snapshot = async (id: number) => {
      const placed = await get(`/orders/${id}`)
      return {
        status: placed.status,
        history: placed.history.map((h: { status: string }) => h.status),
        tickets: (await ticket(id)).map((d: { status: string }) => d.status),
        payments: (await payment(id)).map((p: { status: string }) => p.status),
        myPage: await myPage(id),
      }
    }
    const cancel = async (id: number) => {
      const start = performance.now()
      const answer = await call(`${url}/orders/${id}`, {
        method: 'PATCH',
        json: { status: 'OrderCanceled' },
        headers: customer,
      })
      return { answer, ms: performance.now() - start }
    }

    const amounts: number[] = []
    const ids: number[] = []
    for (let i = 0; i < 3; i++) {
      const placed = await call(`${url}/orders`, { method: 'POST', json: menuOrder(i), headers: customer })
      assert.equal(placed.status, 201)
      ids.push(placed.body.id)
      amounts.push(placed.body.amt)
    }
    const accrued = amounts.reduce((sum, amt) => sum + pointsFor(amt), 0)
    await waitFor(async () => (await points()) === accrued, 15_000, `${accrued} points`)
    for (const id of ids) {
      await waitFor(async () => (await ticket(id)).length === 1, 15_000, `ticket of ${id}`)
      await waitFor(async () => (await myPage(id)).length === 1, 15_000, `My Page row of ${id}`)
    }
    await waitFor(async () => (await notifications()) === ids.length, 15_000, 'one notification per order')
    const before = await Promise.all(ids.map(snapshot))
    for (const s of before) {
      assert.deepEqual(
        [s.status, s.tickets, s.payments, s.myPage],
        ['Ordered', ['PaymentApproved'], ['PaymentApproved'], ['Ordered']],
      )
    }
    const historyBefore = await pointHistory()

    await cluster.stop('point', 'SIGTERM')
    const refused: number[] = []
    for (let attempt = 0; attempt < 2; attempt++) {
      for (const id of ids) {
        const { answer, ms } = await cancel(id)
        assert.equal(
          answer.status,
          503,
          `cancel of ${id} while point is down: ${JSON.stringify(answer.body)}`,
        )
        assert.ok(answer.headers.get('retry-after'), 'Retry-After')
        assert.match(answer.body.type, /point-unavailable/)
        refused.push(ms)
      }
    }
    // Anything a refused cancel had emitted would have reached drink, payment and My Page by now:
    // the order, its ticket (still waiting for the barista), its payment and My Page are as before.
    await sleep(1500)
    assert.deepEqual(await Promise.all(ids.map(snapshot)), before, 'nothing changed while point was down')

    await cluster.start('point')
    const back = performance.now()
    assert.equal(await points(), accrued, 'no points deducted by the refused cancels')
    assert.equal(await pointHistory(), historyBefore, 'no point history written by the refused cancels')
    assert.equal(await notifications(), ids.length, 'no message about the refused cancels')
    assert.deepEqual(await Promise.all(ids.map(snapshot)), before)

    let expected = accrued
    for (const [i, id] of ids.entries()) {
      const { answer } = await cancel(id)
      assert.equal(answer.status, 200, `cancel of ${id} once point is back: ${JSON.stringify(answer.body)}`)
      assert.equal(answer.body.status, 'OrderCanceled')
      expected -= pointsFor(amounts[i] as number)
      assert.equal(await points(), expected, `points of ${id} deducted`)
    }
    for (const id of ids) {
      await waitFor(
        async () => (await payment(id))[0]?.status === 'PaymentCanceled',
        15_000,
        `payment of ${id} canceled`,
      )
      assert.deepEqual(
        (await ticket(id)).map((d: { status: string }) => d.status),
        ['DrinkCanceled'],
      )
      assert.equal((await get(`/orders/${id}`)).status, 'OrderCanceled')
    }
    assert.equal(await points(), 0)
    const sorted = refused.sort((a, b) => a - b)
    t.diagnostic(
      `${ids.length} orders placed; ${refused.length} cancels refused with 503 while point was down ` +
        `(median ${round(percentile(sorted, 0.5))} ms, max ${round(sorted.at(-1) ?? 0)} ms), nothing changed; ` +
        `all ${ids.length} cancels completed ${Math.round(performance.now() - back)} ms after point returned`,
    )
  })
})
