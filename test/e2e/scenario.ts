import assert from 'node:assert/strict'
import { defaultMenu } from '../../packages/contracts/src/menu.ts'
import type { Credentials } from '../support/secure.ts'
import { call, waitFor } from '../support/system.ts'

/** The i-th order of a scenario: a drink of the default menu by its id, one to three of them. */
export const menuOrder = (i: number) => ({
  productId: (defaultMenu[i % defaultMenu.length] as (typeof defaultMenu)[number]).id,
  qty: 1 + (i % 3),
})

/**
 * The i-th order of a scenario, paid again with the same Idempotency-Key while the order service
 * answers 503, as the web UI's "pay again" does; its id. A 503 is the system's designed answer to
 * a payment slower than its deadline (on a loaded machine, or right after a cold start of every
 * process: making the first order as fast as the rest is tracked on its own); what a scenario
 * checks is what happens to the orders placed, so it pays again, with a pause, as a person would.
 */
export async function placeOrder(url: string, customer: Credentials, i = 0): Promise<number> {
  const key = crypto.randomUUID()
  const deadline = Date.now() + 30_000
  for (;;) {
    const answer = await call(`${url}/orders`, {
      method: 'POST',
      json: menuOrder(i),
      headers: { ...customer, 'idempotency-key': key },
    })
    if (answer.status === 201) return answer.body.id as number
    if (answer.status !== 503 || Date.now() > deadline)
      throw new Error(`order failed: ${answer.status} ${JSON.stringify(answer.body)}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** A first order to warm every process up; a burst that must all succeed comes after it. */
export const firstOrder = (url: string, customer: Credentials): Promise<number> => placeOrder(url, customer)

/** Places `count` orders concurrently through the gateway as the signed-in `customer`; returns their ids. */
export const placeOrders = (url: string, count: number, customer: Credentials): Promise<number[]> =>
  Promise.all(Array.from({ length: count }, (_, i) => placeOrder(url, customer, i)))

/**
 * What the system shows for these orders: the order and its payment to the customer who placed
 * them, the tickets to the barista. Waits for tickets to appear when asked.
 */
export async function stateOf(
  url: string,
  ids: readonly number[],
  as: { customer: Credentials; staff: Credentials },
  options: { waitForTickets: boolean },
) {
  const look = async () => {
    const rows = await Promise.all(
      ids.map(async (id) => {
        const [o, p, d] = await Promise.all([
          call(`${url}/orders/${id}`, { headers: as.customer }),
          call(`${url}/payments/search/findByOrderId?orderId=${id}`, { headers: as.customer }),
          call(`${url}/drinks/search/findByOrderId?orderId=${id}`, { headers: as.staff }),
        ])
        return {
          id,
          order: o.status,
          payments: p.body?._embedded?.payments ?? [],
          drinks: d.body?._embedded?.drinks ?? [],
        }
      }),
    )
    return {
      missingOrders: rows.filter((r) => r.order !== 200).map((r) => r.id),
      missingPayments: rows
        .filter((r) => r.payments.length !== 1 || r.payments[0].status !== 'PaymentApproved')
        .map((r) => r.id),
      missingTickets: rows.filter((r) => r.drinks.length === 0).map((r) => r.id),
      duplicateTickets: rows.filter((r) => r.drinks.length > 1).map((r) => r.id),
    }
  }
  if (!options.waitForTickets) return look()
  let last = await look()
  await waitFor(
    async () => {
      last = await look()
      return last.missingTickets.length === 0
    },
    15_000,
    'every order to have its ticket',
  ).catch(() => undefined)
  return last
}

const byOrder = <T extends { orderId: number }>(rows: readonly T[]) => {
  const counts = new Map<number, number>()
  for (const r of rows) counts.set(r.orderId, (counts.get(r.orderId) ?? 0) + 1)
  return counts
}

/** Asserts each of `rows` belongs to a placed order and every placed order appears exactly once. */
export function assertOncePerOrder(
  rows: ReadonlyArray<{ orderId: number }>,
  placed: ReadonlyArray<{ readonly id: number }>,
  what: string,
) {
  const counts = byOrder(rows)
  const ids = new Set(placed.map((p) => p.id))
  const doubled = [...counts].filter(([, n]) => n > 1).map(([id]) => id)
  const stray = [...counts.keys()].filter((id) => !ids.has(id))
  const missing = placed.filter((p) => !counts.has(p.id)).map((p) => p.id)
  assert.deepEqual({ doubled, stray, missing }, { doubled: [], stray: [], missing: [] }, what)
}
