import type { FastifyRequest } from 'fastify'

/**
 * The header in which the gateway names the client's address to the service it calls. The gateway
 * sets it on every request it passes on, replacing whatever the client sent: a client that chose
 * its own address could take a fresh one for each guess of a token.
 */
export const CLIENT_ADDRESS_HEADER = 'x-forwarded-for'

/**
 * Who a request comes from, for counting its failures: the address the gateway names, else the
 * caller's own (a service called directly). Back-end services are reachable only from the gateway
 * and each other (loopback locally, network policies on Kubernetes), so the header is the gateway's.
 */
export function clientAddress(request: Pick<FastifyRequest, 'headers' | 'ip'>): string {
  const named = request.headers[CLIENT_ADDRESS_HEADER]
  const first = (Array.isArray(named) ? named[0] : named)?.split(',')[0]?.trim()
  return first ? first.slice(0, 64) : request.ip
}
