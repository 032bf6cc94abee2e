import { normalizePhoneNumber, PHONE_NUMBER_RULE, PhoneNumberInput } from '@cafeteria/contracts'
import { parseCookie } from 'cookie'
import type { FastifyRequest, RouteOptions } from 'fastify'
import { Type } from 'typebox'
import type { ConfigReader } from '../config.ts'
import { HttpProblem, invalidInput } from './problem.ts'
import { type Session, verifySession } from './session-token.ts'

/**
 * Who may call a route. Every route says it (deny by default: a route that does not is a start-up
 * error): `public` anyone; `customer` a signed-in customer, who sees only their own data; `staff`
 * the barista, with the staff token; `service` another service (internal routes the gateway does
 * not expose, reachable only on loopback or through the cluster's network policies).
 */
export type Access = 'public' | 'customer' | 'staff' | 'service'

export interface AccessSettings {
  /**
   * The original's open API (`OPEN_API=true`, `--open`): no sign-in, lookups by any phone number,
   * staff routes open. For its walkthrough and for teaching; refused with `NODE_ENV=production`.
   */
  readonly open: boolean
  /** Signs and checks customers' sessions; every service and the gateway share it. */
  readonly secret: Buffer | undefined
  /** The cafe is reached over https (`PUBLIC_URL`): session cookies are `Secure`. */
  readonly https: boolean
}

export type { FastifyRequest as HttpRequest } from 'fastify'

export const SESSION_COOKIE = 'cafe_session'

export const OPEN_MODE_WARNING =
  'open mode (OPEN_API): no sign-in, any phone number, client prices, staff routes open: for the original walkthrough only'

export function accessSettings(read: ConfigReader): AccessSettings {
  const open = read.bool('OPEN_API', false)
  const production = read.string('NODE_ENV', '') === 'production'
  if (open && production) read.refuse('OPEN_API: the open API is refused with NODE_ENV=production')
  const raw = read.optional('AUTH_SECRET')
  if (raw !== undefined && raw.length < 32) read.refuse('AUTH_SECRET: must be at least 32 characters')
  if (raw === undefined && !open) {
    read.refuse('AUTH_SECRET (or AUTH_SECRET_FILE) is required: it signs the customers’ sessions')
  }
  const publicUrl = read.optional('PUBLIC_URL')
  const https = publicUrl !== undefined && read.url('PUBLIC_URL', publicUrl).startsWith('https:')
  return { open, secret: raw === undefined ? undefined : Buffer.from(raw, 'utf8'), https }
}

/**
 * Checks the staff token of a request (the drink service's barista routes); throws a 401 problem,
 * or 429 after too many wrong tokens from the same address.
 */
export type StaffGuard = (request: FastifyRequest) => Promise<void> | void

const unguarded = new Set(['/health/live', '/health/ready', '/metrics', '/openapi.json'])

/**
 * Puts each route's guard in front of it, from its `config.access`. A customer route finds the
 * session in `Authorization: Bearer <token>` (API clients) or the session cookie (the web UI) and
 * answers 401 without one; its handler reads the customer from `request.customer`.
 */
export function guardRoute(
  route: RouteOptions,
  settings: AccessSettings,
  options: { staff?: StaffGuard; now?: () => Date } = {},
): void {
  const access = (route.config as { access?: Access } | undefined)?.access
  if (access === undefined) {
    if (unguarded.has(route.url) || route.url.startsWith('/docs')) return
    throw new Error(`${route.method} ${route.url} does not say who may call it (config.access)`)
  }
  // Open mode opens customer routes; staff routes stay the staff guard's call (open only in open
  // mode without a token).
  if (access === 'service' || (settings.open && access !== 'staff')) return
  const now = options.now ?? (() => new Date())
  const guard =
    access === 'public'
      ? signedInIfAny(settings, now)
      : access === 'customer'
        ? customerGuard(settings, now)
        : (options.staff ??
          (() => {
            throw new HttpProblem(401, 'staff-only', 'This is for the barista: a staff token is needed.')
          }))
  const before = route.preValidation
  route.preValidation = [guard, ...(before === undefined ? [] : Array.isArray(before) ? before : [before])]
}

const sessionOf = (settings: AccessSettings, token: string | undefined, now: Date) =>
  token !== undefined && settings.secret ? verifySession(settings.secret, token, now) : undefined

/** A public route that shows a signed-in customer more (their place in the queue) knows who it is. */
function signedInIfAny(settings: AccessSettings, now: () => Date) {
  return async (request: FastifyRequest) => {
    const session = sessionOf(settings, sessionToken(request), now())
    if (session) request.customer = session
  }
}

function customerGuard(settings: AccessSettings, now: () => Date) {
  return async (request: FastifyRequest) => {
    const token = sessionToken(request)
    const session = sessionOf(settings, token, now())
    if (!session) {
      throw new HttpProblem(
        401,
        'sign-in-required',
        token === undefined
          ? 'Sign in first: ask for a code with POST /auth/code, then POST /auth/token.'
          : 'The session has ended or is not valid: sign in again.',
        { headers: { 'www-authenticate': 'Bearer realm="customer"' } },
      )
    }
    request.customer = session
  }
}

/** The session token a request carries: the bearer token, else the web UI's cookie. */
export function sessionToken(request: Pick<FastifyRequest, 'headers'>): string | undefined {
  const header = request.headers.authorization
  if (header?.startsWith('Bearer ')) return header.slice(7).trim() || undefined
  const cookies = request.headers.cookie
  return cookies ? parseCookie(cookies)[SESSION_COOKIE] || undefined : undefined
}

/** `?phoneNumber=`: optional for a signed-in customer (their own), required in open mode. */
export const ByPhoneNumberQuery = Type.Object({ phoneNumber: Type.Optional(PhoneNumberInput) })

/**
 * Whose data a search by phone number shows. Signed in: the customer's own, and a query that names
 * another phone finds nothing (`null`), as if that phone had no data. In open mode: the phone asked
 * for, which is then required. The number is checked and its hyphens dropped as everywhere.
 */
export function searchedPhone(request: FastifyRequest, raw: string | undefined): string | null {
  const asked = raw === undefined ? undefined : normalizePhoneNumber(raw)
  if (raw !== undefined && asked === undefined) {
    throw invalidInput('querystring', [{ path: '/phoneNumber', message: PHONE_NUMBER_RULE }])
  }
  const own = request.customer?.phoneNumber
  if (own !== undefined) return asked === undefined || asked === own ? own : null
  if (asked === undefined) {
    throw invalidInput('querystring', [{ path: '/phoneNumber', message: 'is required' }])
  }
  return asked
}

/** Whether a customer may see a record that belongs to `phoneNumber` (always, in open mode). */
export function mayView(request: FastifyRequest, phoneNumber: string): boolean {
  const own = request.customer?.phoneNumber
  return own === undefined || own === phoneNumber
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; see `Access`. */
    access?: Access
  }
  interface FastifyRequest {
    /** The signed-in customer on a customer route (undefined in open mode). */
    customer?: Session
  }
}
