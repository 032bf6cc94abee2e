/**
 * What the gateway exposes, and where it goes. Internal endpoints (`POST /payments`,
 * `PATCH /points/cancelPoint`) are deliberately absent: only services call them.
 */
export type Upstream = 'order' | 'payment' | 'drink'

export interface Route {
  readonly prefix: string
  readonly upstream: Upstream
  readonly methods: readonly string[]
}

export const routes: readonly Route[] = [
  { prefix: '/orders', upstream: 'order', methods: ['GET', 'POST', 'PATCH'] },
  { prefix: '/payments', upstream: 'payment', methods: ['GET'] },
  { prefix: '/drinks', upstream: 'drink', methods: ['GET', 'PATCH'] },
]

export const upstreamDefaults: Record<Upstream, string> = {
  order: 'http://127.0.0.1:8081',
  payment: 'http://127.0.0.1:8082',
  drink: 'http://127.0.0.1:8083',
}
