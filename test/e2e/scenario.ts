import { call, order, waitFor } from '../support/system.ts'

/** Places `count` orders concurrently through the gateway; returns their ids. */
export async function placeOrders(url: string, count: number): Promise<number[]> {
  const answers = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      call(`${url}/orders`, {
        method: 'POST',
        json: order({ productName: `drink-${i}`, qty: 1 + (i % 3), amt: 100 * (i + 1) }),
      }),
    ),
  )
  for (const a of answers)
    if (a.status !== 201) throw new Error(`order failed: ${a.status} ${JSON.stringify(a.body)}`)
  return answers.map((a) => a.body.id as number)
}

/** What the system shows for these orders; waits for tickets to appear when asked. */
export async function stateOf(url: string, ids: readonly number[], options: { waitForTickets: boolean }) {
  const look = async () => {
    const rows = await Promise.all(
      ids.map(async (id) => {
        const [o, p, d] = await Promise.all([
          call(`${url}/orders/${id}`),
          call(`${url}/payments/search/findByOrderId?orderId=${id}`),
          call(`${url}/drinks/search/findByOrderId?orderId=${id}`),
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
