import { setTimeout as sleep } from 'node:timers/promises'
import { pointsFor } from '@cafeteria/contracts'
import type { ChaosParty, Intent, PlacedOrder } from './chaos.ts'
import { mapBounded } from './verify.ts'

/**
 * What must hold once a system that lived through faults is quiet, checked through the public API
 * against what its customers and barista were told (`ChaosRecord`):
 * - every intent (Idempotency-Key) was answered with one order, and no order answers two intents;
 * - every placed order is visible with one ticket and one payment, agreeing on its end state:
 *   standing (payment approved, ticket waiting, accepted or made) or cancelled (payment refunded,
 *   ticket cancelled); a cancel nobody asked for, a cancel answered but neither done nor refused
 *   by the barista, a started drink cancelled: each is broken;
 * - one My Page row per placed order, showing that state, and no other row;
 * - each customer's points exactly 10% (truncated) of their standing orders, and each order's
 *   point history nets to its share;
 * - every attempt that placed nothing (ids between) left no ticket and no payment but a voided one.
 * The system must be the party's alone: every order id up to the last placed is taken for theirs.
 */

/** What the customers and the barista were told: their intents and the orders placed. */
export interface Told {
  readonly intents: readonly Intent[]
  readonly orders: ReadonlyMap<number, PlacedOrder>
}

export interface InvariantReport {
  /** One line per broken invariant, naming the orders; empty when all hold. */
  readonly broken: string[]
  readonly figures: {
    readonly intents: number
    readonly placed: number
    readonly cancelled: number
    readonly cancelRefused: number
    readonly drinks: Record<string, number>
    /** Attempts that placed nothing (a payment that failed or came too late), and their voided payments. */
    readonly unplacedAttempts: number
    readonly voidedPayments: number
    readonly points: number
  }
  /** Everything read, to tell a system still changing from a settled one. */
  readonly fingerprint: string
}

const myPageStatus: Record<string, string> = {
  PaymentApproved: 'Ordered',
  Receipted: 'Receipted',
  Made: 'Made',
  DrinkCanceled: 'PaymentCanceled',
}

type Json = any

async function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: Json }> {
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) })
    const text = await response.text()
    return {
      status: response.status,
      body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
    }
  } catch (error) {
    return { status: 0, body: (error as Error).message }
  }
}

const items = (answer: { status: number; body: Json }, name: string): Json[] | undefined =>
  answer.status === 200 ? (answer.body?._embedded?.[name] ?? []) : undefined

export async function checkInvariants(record: Told, party: ChaosParty): Promise<InvariantReport> {
  const broken: string[] = []
  const { url, staff } = party
  const headersOf = new Map(party.customers.map((c) => [c.phoneNumber, c.headers]))
  const as = (phone: string) => headersOf.get(phone) ?? {}

  // Intents: each answered with one order, no order for two of them.
  const owners = new Map<number, string[]>()
  for (const intent of record.intents) {
    if (intent.orderId === undefined)
      broken.push(
        `intent ${intent.key}: no order after ${intent.attempts} attempts (last answer: ${intent.lastAnswer})`,
      )
    if (intent.answeredIds.length > 1)
      broken.push(`intent ${intent.key}: answered with orders ${intent.answeredIds.join(', ')}`)
    for (const id of intent.answeredIds) owners.set(id, [...(owners.get(id) ?? []), intent.key])
  }
  for (const [id, keys] of owners)
    if (keys.length > 1) broken.push(`order ${id}: the answer to intents ${keys.join(', ')}`)

  const orders = [...record.orders.values()]
  const seen = await mapBounded(orders, 16, async (o) => {
    const [order, payments, drinks] = await Promise.all([
      get(`${url}/orders/${o.id}`, as(o.phoneNumber)),
      get(`${url}/payments/search/findByOrderId?orderId=${o.id}`, as(o.phoneNumber)),
      get(`${url}/drinks/search/findByOrderId?orderId=${o.id}`, staff),
    ])
    return {
      status: order.status === 200 ? (order.body.status as string) : `HTTP ${order.status}`,
      payments: (items(payments, 'payments') ?? [`HTTP ${payments.status}`]).map((p: Json) => p.status ?? p),
      paid: items(payments, 'payments')?.map((p: Json) => p.amt),
      drinks: (items(drinks, 'drinks') ?? [`HTTP ${drinks.status}`]).map((d: Json) => d.status ?? d),
    }
  })
  const state = new Map(orders.map((o, i) => [o.id, seen[i] as (typeof seen)[number]]))
  for (const o of orders) broken.push(...orderProblems(o, state.get(o.id) as (typeof seen)[number]))

  // Per customer: My Page, the balance and the history, against the orders' end states.
  const phones = [...new Set(party.customers.map((c) => c.phoneNumber))]
  const customers = await mapBounded(phones, 4, async (phone) => {
    const q = `?phoneNumber=${phone}`
    const [pages, points, history] = await Promise.all([
      get(`${url}/mypages/search/findByPhoneNumber${q}`, as(phone)),
      get(`${url}/points/search/findByPhoneNumber${q}`, as(phone)),
      get(`${url}/pointHistories/search/findByPhoneNumberOrderByCreateTime${q}`, as(phone)),
    ])
    return { phone, pages, points, history }
  })
  let points = 0
  for (const { phone, pages, points: balance, history } of customers) {
    const mine = orders.filter((o) => o.phoneNumber === phone)
    const standing = (o: PlacedOrder) => state.get(o.id)?.status !== 'OrderCanceled'
    const expected = mine.filter(standing).reduce((sum, o) => sum + pointsFor(o.amt), 0)
    const actual =
      items(balance, 'points')?.[0]?.point ?? (balance.status === 200 ? 0 : `HTTP ${balance.status}`)
    points += typeof actual === 'number' ? actual : 0
    if (actual !== expected) broken.push(`customer ${phone}: ${actual} points, expected ${expected}`)
    const rows: Json[] = pages.status === 200 && Array.isArray(pages.body) ? pages.body : []
    if (pages.status !== 200) broken.push(`customer ${phone}: My Page answered ${pages.status}`)
    const byOrder = new Map<number, Json[]>()
    for (const row of rows) byOrder.set(row.orderId, [...(byOrder.get(row.orderId) ?? []), row])
    for (const [id, found] of byOrder) {
      const o = record.orders.get(id)
      if (!o || o.phoneNumber !== phone)
        broken.push(`customer ${phone}: My Page shows order ${id}, never placed by them`)
      else if (found.length > 1) broken.push(`order ${id}: ${found.length} My Page rows`)
    }
    for (const o of mine) {
      const row = byOrder.get(o.id)?.[0]
      const drink = state.get(o.id)?.drinks[0]
      const want = myPageStatus[drink] ?? '?'
      if (!row) broken.push(`order ${o.id}: no My Page row`)
      else if (
        row.status !== want ||
        row.amt !== o.amt ||
        row.qty !== o.qty ||
        row.productName !== o.productName
      )
        broken.push(
          `order ${o.id}: My Page shows ${row.status} ${row.qty} × ${row.productName} ${row.amt}, expected ${want} ${o.qty} × ${o.productName} ${o.amt}`,
        )
    }
    const entries = items(history, 'pointHistories') ?? []
    if (history.status !== 200) broken.push(`customer ${phone}: point history answered ${history.status}`)
    const net = new Map<number, number>()
    for (const e of entries) {
      net.set(e.orderId, (net.get(e.orderId) ?? 0) + e.point)
      if (!record.orders.has(e.orderId))
        broken.push(`customer ${phone}: point history has order ${e.orderId}, never placed`)
    }
    for (const o of mine) {
      const share = standing(o) ? pointsFor(o.amt) : 0
      const accruals = entries.filter((e: Json) => e.orderId === o.id && e.type === 'Order').length
      if (accruals !== 1 || (net.get(o.id) ?? 0) !== share)
        broken.push(
          `order ${o.id}: ${accruals} accruals netting ${net.get(o.id) ?? 0} points, expected one netting ${share}`,
        )
    }
  }

  // The attempts in between: every id up to the last placed that no customer was answered with.
  const last = Math.max(0, ...orders.map((o) => o.id))
  const unplaced = Array.from({ length: last }, (_, i) => i + 1).filter((id) => !record.orders.has(id))
  const leftovers = await mapBounded(unplaced, 16, async (id) => {
    const payments = await Promise.all(
      phones.map(
        async (phone) =>
          items(await get(`${url}/payments/search/findByOrderId?orderId=${id}`, as(phone)), 'payments') ?? [
            '?',
          ],
      ),
    )
    const drinks = items(await get(`${url}/drinks/search/findByOrderId?orderId=${id}`, staff), 'drinks') ?? [
      '?',
    ]
    const unique = new Map(payments.flat().map((p: Json) => [p.id ?? p, p.status ?? p]))
    return { id, payments: [...unique.values()] as string[], drinks: drinks.map((d: Json) => d.status ?? d) }
  })
  for (const l of leftovers) {
    const kept = l.payments.filter((s) => s !== 'PaymentVoided')
    if (kept.length > 0)
      broken.push(`order ${l.id}, never placed: payments ${kept.join(', ')} (only a voided one may remain)`)
    if (l.drinks.length > 0) broken.push(`order ${l.id}, never placed: tickets ${l.drinks.join(', ')}`)
  }

  const ends = orders.map((o) => state.get(o.id))
  const drinks: Record<string, number> = {}
  for (const e of ends) for (const d of e?.drinks ?? []) drinks[d] = (drinks[d] ?? 0) + 1
  return {
    broken,
    figures: {
      intents: record.intents.length,
      placed: orders.length,
      cancelled: ends.filter((e) => e?.status === 'OrderCanceled').length,
      cancelRefused: orders.filter((o) => o.cancel !== 'none' && state.get(o.id)?.status === 'Ordered')
        .length,
      drinks,
      unplacedAttempts: unplaced.length,
      voidedPayments: leftovers.filter((l) => l.payments.includes('PaymentVoided')).length,
      points,
    },
    fingerprint: JSON.stringify([
      seen,
      customers.map((c) => [c.pages.body, c.points.body, c.history.body]),
      leftovers,
    ]),
  }
}

/** What is wrong with one placed order's end state, as the customer and the barista were told. */
export function orderProblems(
  o: PlacedOrder,
  seen: { status: string; payments: string[]; paid: number[] | undefined; drinks: string[] },
): string[] {
  const at = `order ${o.id} (${o.phoneNumber}, key ${o.key})`
  if (seen.status !== 'Ordered' && seen.status !== 'OrderCanceled') return [`${at}: ${seen.status}`]
  const cancelled = seen.status === 'OrderCanceled'
  const payment = cancelled ? 'PaymentCanceled' : 'PaymentApproved'
  const problems: string[] = []
  if (seen.payments.length !== 1 || seen.payments[0] !== payment || seen.paid?.[0] !== o.amt)
    problems.push(
      `${at} is ${seen.status}: payments [${seen.payments.join(', ')}] of ${seen.paid}, expected one ${payment} of ${o.amt}`,
    )
  const ticketOk = cancelled ? ['DrinkCanceled'] : ['PaymentApproved', 'Receipted', 'Made']
  if (seen.drinks.length !== 1 || !ticketOk.includes(seen.drinks[0] as string))
    problems.push(
      `${at} is ${seen.status}: tickets [${seen.drinks.join(', ')}], expected one ${ticketOk.join(' or ')}`,
    )
  if (cancelled && o.cancel === 'none') problems.push(`${at}: cancelled, though nobody asked`)
  if (cancelled && o.started)
    problems.push(`${at}: cancelled after the barista was told the drink was started`)
  // A cancel answered (done or refused) and the order standing: only a started drink refuses one.
  if (!cancelled && (o.cancel === 'done' || o.cancel === 'refused') && seen.drinks[0] === 'PaymentApproved')
    problems.push(`${at}: cancel answered ${o.cancel}, yet the order stands with its drink not started`)
  return problems
}

/**
 * Waits until every invariant holds and two readings in a row are the same (nothing is still on
 * its way), or until `deadlineMs` has passed: then the last reading, with what is broken.
 */
export async function settle(
  record: Told,
  party: ChaosParty,
  deadlineMs: number,
  note: (line: string) => void = () => {},
): Promise<InvariantReport & { settleMs: number }> {
  const started = Date.now()
  let previous: InvariantReport | undefined
  for (let round = 1; ; round++) {
    const report = await checkInvariants(record, party)
    const settled = report.broken.length === 0 && report.fingerprint === previous?.fingerprint
    if (settled || Date.now() - started > deadlineMs) return { ...report, settleMs: Date.now() - started }
    if (report.broken.length > 0)
      note(
        `settling: round ${round}, ${report.broken.length} invariants not holding yet, e.g. ${report.broken[0]}`,
      )
    previous = report
    await sleep(1000)
  }
}
