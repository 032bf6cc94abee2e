/**
 * What the gateway exposes, and where it goes. Internal endpoints (`POST /payments`,
 * `PATCH /points/cancelPoint`) are deliberately absent: only services call them.
 */
export type Upstream = 'order' | 'payment' | 'drink' | 'customercenter' | 'point'

export interface Route {
  readonly prefix: string
  readonly upstream: Upstream
  readonly methods: readonly string[]
}

export const routes: readonly Route[] = [
  { prefix: '/orders', upstream: 'order', methods: ['GET', 'POST', 'PATCH'] },
  { prefix: '/payments', upstream: 'payment', methods: ['GET'] },
  { prefix: '/drinks', upstream: 'drink', methods: ['GET', 'PATCH'] },
  { prefix: '/mypages', upstream: 'customercenter', methods: ['GET'] },
  { prefix: '/notifications', upstream: 'customercenter', methods: ['GET'] },
  { prefix: '/points', upstream: 'point', methods: ['GET'] },
  { prefix: '/pointHistories', upstream: 'point', methods: ['GET'] },
  { prefix: '/auth', upstream: 'customercenter', methods: ['GET', 'POST'] },
]

export const upstreamDefaults: Record<Upstream, string> = {
  order: 'http://127.0.0.1:8081',
  payment: 'http://127.0.0.1:8082',
  drink: 'http://127.0.0.1:8083',
  customercenter: 'http://127.0.0.1:8084',
  point: 'http://127.0.0.1:8085',
}
