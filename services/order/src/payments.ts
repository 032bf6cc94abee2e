import {
  createHttpClient,
  type HttpClientOptions,
  type ResilientCallPolicy,
  UpstreamUnavailable,
} from '@cafeteria/platform'

export type PaymentResult =
  | { readonly ok: true; readonly paymentId: number }
  | { readonly ok: false; readonly unavailable: boolean; readonly detail: string }

export interface PaymentGateway {
  pay(request: { orderId: number; phoneNumber: string; amt: number }): Promise<PaymentResult>
  /** The breaker is open: a call would be refused at once, so do not even start an order. */
  refusesNow(): boolean
  close(): Promise<void>
}

/** The synchronous call order → payment; payment is idempotent per order id. */
export function paymentGateway(
  options: Omit<HttpClientOptions, 'name' | 'policy'> & { policy: ResilientCallPolicy },
): PaymentGateway {
  const client = createHttpClient({ name: 'payment', ...options })
  return {
    async pay(request) {
      try {
        const response = await client.send<{ id?: number; detail?: string }>('POST', '/payments', request, {
          idempotent: true,
        })
        if ((response.status === 200 || response.status === 201) && typeof response.body?.id === 'number') {
          return { ok: true, paymentId: response.body.id }
        }
        return {
          ok: false,
          unavailable: response.status >= 500,
          detail: response.body?.detail ?? `payment answered ${response.status}`,
        }
      } catch (error) {
        if (error instanceof UpstreamUnavailable)
          return { ok: false, unavailable: true, detail: error.message }
        throw error
      }
    },
    refusesNow: () => options.policy.refusesNow(),
    close: () => client.close(),
  }
}
