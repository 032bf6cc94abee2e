import { createHttpClient, type HttpClientOptions, UpstreamUnavailable } from '@cafeteria/platform'
import type { Order } from './domain.ts'

export type DeductResult =
  | { readonly ok: true; readonly point: number }
  | {
      readonly ok: false
      /** No answer, or a 5xx: the deduction may or may not have happened. */
      readonly unavailable: boolean
      /** False only when the request certainly never reached point: nothing was deducted. */
      readonly maybeSent: boolean
      readonly detail: string
    }

export interface PointGateway {
  deduct(order: Order): Promise<DeductResult>
  close(): Promise<void>
}

/** The synchronous call order → point on cancel; the point service deducts once per order. */
export function pointGateway(options: Omit<HttpClientOptions, 'name'>): PointGateway {
  const client = createHttpClient({ name: 'point', ...options })
  return {
    async deduct(order) {
      const body = {
        orderId: order.id,
        phoneNumber: order.phoneNumber,
        productName: order.productName,
        qty: order.qty,
        amt: order.amt,
        paymentId: order.paymentId,
      }
      try {
        const response = await client.send<{ point?: number; detail?: string }>(
          'PATCH',
          '/points/cancelPoint',
          body,
          { idempotent: true },
        )
        if (response.status === 200 && typeof response.body?.point === 'number')
          return { ok: true, point: response.body.point }
        return {
          ok: false,
          unavailable: response.status >= 500,
          maybeSent: true,
          detail: response.body?.detail ?? `point answered ${response.status}`,
        }
      } catch (error) {
        if (error instanceof UpstreamUnavailable)
          return { ok: false, unavailable: true, maybeSent: error.maybeSent, detail: error.message }
        throw error
      }
    },
    close: () => client.close(),
  }
}
