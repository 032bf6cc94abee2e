import { createHttpClient, type HttpClientOptions, UpstreamUnavailable } from '@cafeteria/platform'
import type { Order } from './domain.ts'

export type DeductResult =
  | { readonly ok: true; readonly point: number }
  | { readonly ok: false; readonly unavailable: boolean; readonly detail: string }

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
          detail: response.body?.detail ?? `point answered ${response.status}`,
        }
      } catch (error) {
        if (error instanceof UpstreamUnavailable)
          return { ok: false, unavailable: true, detail: error.message }
        throw error
      }
    },
    close: () => client.close(),
  }
}
