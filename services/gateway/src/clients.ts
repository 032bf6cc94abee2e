import { type AccessSettings, problem, sessionToken, verifySession } from '@cafeteria/platform'
import { normalizeIP } from '@fastify/rate-limit'
import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * Who a request comes from, as the gateway's limits count it. The address is the connection's
 * peer unless `TRUST_PROXY` names the proxy in front (then the client that proxy forwards for);
 * an IPv6 address stands for its /64, which one customer's router hands out whole.
 */
export const clientAddress = (request: FastifyRequest): string => normalizeIP(request.ip)

/**
 * The phone of the signed-in customer a request carries a valid session of, if any: a finer key
 * than the address, which a cafe's customers share on its Wi-Fi. An ended session was already
 * taken off the request by the session gate.
 */
export function signedInPhone(access: AccessSettings, request: FastifyRequest): string | undefined {
  if (access.open || !access.secret) return undefined
  const token = sessionToken(request)
  return token === undefined ? undefined : verifySession(access.secret, token, new Date())?.phoneNumber
}

/** 429 with `Retry-After` and a problem body: the one answer of every limit of the gateway. */
export function tooManyRequests(
  reply: FastifyReply,
  retryAfterSeconds: number,
  slug: string,
  detail: string,
): FastifyReply {
  return reply
    .code(429)
    .header('retry-after', String(Math.max(1, Math.ceil(retryAfterSeconds))))
    .type('application/problem+json')
    .send(problem(429, slug, detail, { instance: reply.request.url }))
}
