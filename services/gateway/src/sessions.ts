import {
  type AccessSettings,
  type Logger,
  problem,
  SESSION_COOKIE,
  type Session,
  sessionToken,
  verifySession,
} from '@cafeteria/platform'
import { parseCookie, stringifyCookie } from 'cookie'
import type { FastifyInstance, FastifyRequest } from 'fastify'

export interface SessionGateOptions {
  readonly access: AccessSettings
  /** Whether customercenter, which keeps the sessions, says this one is still on. */
  readonly ask: (token: string) => Promise<boolean>
  /** How long an answer is trusted: a session ended through another gateway is let through this long. */
  readonly recheckMs: number
  readonly log: Logger
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const MAX_REMEMBERED = 10_000

/**
 * The gateway's part in sessions. Every service checks a session token's signature and expiry
 * itself; only customercenter knows whether it was ended (signed out). So here a session that was
 * ended is taken off the request before it goes on: the services then see a caller who is not
 * signed in. Answers are remembered for `recheckMs`; a sign-out through this gateway at once.
 *
 * And cross-site requests: a state change that carries the session cookie (not a bearer token)
 * must come from a page of the cafe's own origin, besides the cookie being SameSite=Strict.
 */
export function registerSessionGate(
  app: FastifyInstance<any, any, any, any, any>,
  options: SessionGateOptions,
) {
  const { access, ask, recheckMs, log } = options
  const secret = access.secret
  if (access.open || !secret) return
  const known = new Map<string, { live: boolean; until: number }>()
  // One question at a time per session: the requests that find the answer stale wait for it.
  const asking = new Map<string, Promise<boolean>>()

  const isLive = (session: Session, token: string): boolean | Promise<boolean> => {
    const now = Date.now()
    const remembered = known.get(session.sessionId)
    if (remembered && (remembered.until > now || !remembered.live)) return remembered.live
    let answer = asking.get(session.sessionId)
    if (!answer) {
      answer = ask(token).then(
        (live) => {
          if (known.size >= MAX_REMEMBERED) known.clear()
          known.set(session.sessionId, { live, until: Date.now() + recheckMs })
          return live
        },
        (error: unknown) => {
          // Signatures are still checked everywhere: an outage of customercenter must not sign everyone out.
          log.warn({ err: error }, 'could not ask customercenter about a session; letting it through')
          return true
        },
      )
      asking.set(session.sessionId, answer)
      void answer.finally(() => asking.delete(session.sessionId))
    }
    return answer
  }

  app.addHook('onRequest', async (request: FastifyRequest, reply) => {
    const viaCookie = request.headers.authorization === undefined && hasSessionCookie(request)
    if (viaCookie && UNSAFE.has(request.method) && !sameOrigin(request)) {
      return reply
        .code(403)
        .type('application/problem+json')
        .send(
          problem(403, 'cross-site', 'A change with the session cookie must come from the cafe’s own pages.'),
        )
    }
    const token = sessionToken(request)
    const session = token === undefined ? undefined : verifySession(secret, token, new Date())
    if (!session || !token) return
    if (await isLive(session, token)) {
      if (request.url === '/auth/logout' && request.method === 'POST') {
        reply.raw.once('finish', () => {
          if (reply.statusCode === 204) known.set(session.sessionId, { live: false, until: 0 })
        })
      }
      return
    }
    withoutSession(request)
  })
}

const hasSessionCookie = (request: FastifyRequest) => {
  const cookies = request.headers.cookie
  return cookies !== undefined && parseCookie(cookies)[SESSION_COOKIE] !== undefined
}

/** The browser says where a request comes from; it must be this host (as the browser reached it). */
function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin
  const host = request.headers.host
  if (typeof origin !== 'string' || typeof host !== 'string') return false
  return URL.canParse(origin) && new URL(origin).host === host
}

/** Takes an ended session's token off the request, as if it had never been sent. */
function withoutSession(request: FastifyRequest) {
  if (request.headers.authorization?.startsWith('Bearer ')) {
    delete request.headers.authorization
    return
  }
  const cookies = request.headers.cookie
  if (cookies === undefined) return
  const { [SESSION_COOKIE]: _ended, ...rest } = parseCookie(cookies)
  if (Object.keys(rest).length === 0) delete request.headers.cookie
  else request.headers.cookie = stringifyCookie(rest)
}
