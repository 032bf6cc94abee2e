import { setTimeout as sleep } from 'node:timers/promises'
import { note } from './progress.ts'

export interface Verification {
  readonly checked: number
  readonly payments: number
  readonly tickets: number
  readonly missingPayments: number
  readonly missingTickets: number
  readonly duplicateTickets: number
  /** When the newest ticket was created, counted from the moment the load stopped (0 if before). */
  readonly lastTicketAfterStopMs: number | null
  /** How long the verification itself took, waiting included. */
  readonly tookMs: number
}

interface Found {
  payment: boolean
  tickets: number
  ticketCreated?: number
}

/**
 * Every order must have its payment (written before the order was answered) and, once the
 * events have flowed, exactly one drink ticket. Tickets may lag: missing ones are asked again
 * until `waitMs` has passed.
 */
export async function verifyOrders(
  url: string,
  ids: readonly number[],
  stoppedAt: number,
  { concurrency = 20, waitMs = 30_000 } = {},
): Promise<Verification> {
  const started = Date.now()
  const found = new Map<number, Found>()
  let pending = [...ids]
  for (let round = 1; ; round++) {
    const results = await mapBounded(pending, concurrency, (id) => lookUp(url, id))
    for (const [i, result] of results.entries()) found.set(pending[i] as number, result)
    pending = pending.filter((id) => {
      const f = found.get(id)
      return !f?.payment || f.tickets === 0
    })
    if (pending.length === 0 || Date.now() - started > waitMs) break
    note(`verify: round ${round}, ${pending.length} of ${ids.length} orders still without payment or ticket`)
    await sleep(500)
  }
  const all = [...found.values()]
  const created = all.map((f) => f.ticketCreated).filter((t): t is number => t !== undefined)
  return {
    checked: ids.length,
    payments: all.filter((f) => f.payment).length,
    tickets: all.filter((f) => f.tickets > 0).length,
    missingPayments: all.filter((f) => !f.payment).length,
    missingTickets: all.filter((f) => f.tickets === 0).length,
    duplicateTickets: all.filter((f) => f.tickets > 1).length,
    lastTicketAfterStopMs: created.length ? Math.max(0, Math.max(...created) - stoppedAt) : null,
    tookMs: Date.now() - started,
  }
}

async function lookUp(url: string, id: number): Promise<Found> {
  const [payments, drinks] = await Promise.all([
    collection(`${url}/payments/search/findByOrderId?orderId=${id}`, 'payments'),
    collection(`${url}/drinks/search/findByOrderId?orderId=${id}`, 'drinks'),
  ])
  const times = drinks.map((d) => Date.parse(String(d.createTime))).filter(Number.isFinite)
  return {
    payment: payments.some((p) => p.status === 'PaymentApproved'),
    tickets: drinks.length,
    ...(times.length ? { ticketCreated: Math.max(...times) } : {}),
  }
}

/** A HAL collection's items; an unreachable or failing service reads as "none yet". */
async function collection(url: string, name: string): Promise<Array<Record<string, unknown>>> {
  try {
    const response = await fetch(url)
    if (!response.ok) {
      await response.body?.cancel()
      return []
    }
    const body = (await response.json()) as { _embedded?: Record<string, Array<Record<string, unknown>>> }
    return body._embedded?.[name] ?? []
  } catch {
    return []
  }
}

/** `work` over `items` with at most `limit` in flight; results in the order of `items`. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await work(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
