import { randomBytes, randomInt } from 'node:crypto'
import { normalizePhoneNumber, PHONE_NUMBER_RULE, PhoneNumberInput } from '@cafeteria/contracts'
import {
  type HttpApp,
  HttpProblem,
  invalidInput,
  keyedHash,
  ProblemSchema,
  SESSION_COOKIE,
  type ServiceContext,
  signSession,
} from '@cafeteria/platform'
import { stringifySetCookie } from 'cookie'
import { Type } from 'typebox'
import type { Notifier } from './notifier.ts'
import type { CustomercenterSettings } from './settings.ts'
import { CODE_PATTERN, codeMessage, decideCodeRequest } from './sign-in.ts'
import {
  endSession,
  findCodeForUpdate,
  insertSession,
  saveCode,
  sessionIsLive,
  spendCode,
  takeTry,
} from './sign-in-store.ts'
import type { CustomercenterTables } from './store.ts'

type Context = ServiceContext<CustomercenterTables, CustomercenterSettings>

const CodeBody = Type.Object({ phoneNumber: PhoneNumberInput }, { additionalProperties: false })
const TokenBody = Type.Object(
  { phoneNumber: PhoneNumberInput, code: Type.String({ maxLength: 20 }) },
  { additionalProperties: false },
)
const TokenView = Type.Object({
  token: Type.String({ description: 'send as `Authorization: Bearer <token>`' }),
  expiresAt: Type.String({ format: 'date-time' }),
})

const ended = () =>
  new HttpProblem(401, 'sign-in-required', 'The session has ended: sign in again.', {
    headers: { 'www-authenticate': 'Bearer realm="customer"' },
  })

const refused = () =>
  new HttpProblem(401, 'sign-in-refused', 'The code is wrong, used or expired: ask for a new one.', {
    headers: { 'www-authenticate': 'Bearer realm="customer"' },
  })

function phoneOf(raw: string): string {
  const phoneNumber = normalizePhoneNumber(raw)
  if (!phoneNumber) throw invalidInput('body', [{ path: '/phoneNumber', message: PHONE_NUMBER_RULE }])
  return phoneNumber
}

/**
 * Signing in with a phone (`/auth/*`): a one-time code sent through the notifier, exchanged for a
 * session: a token for API clients and the same as an HttpOnly cookie for the web UI.
 */
export function signInRoutes(app: HttpApp, ctx: Context, notifier: Notifier) {
  const secret = ctx.access.secret
  const { signIn } = ctx.config
  const secureCookie = ctx.access.https
  // Open mode has no sessions: there is nothing to sign in to.
  if (!secret) return
  const hashOf = (purpose: string, text: string) => keyedHash(secret, purpose, text)

  app.post(
    '/auth/code',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Send a one-time sign-in code to a phone (answered alike for every valid number)',
        tags: ['sign-in'],
        body: CodeBody,
        response: {
          202: Type.Object({ expiresInSeconds: Type.Integer() }),
          400: ProblemSchema,
          429: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const phoneNumber = phoneOf(request.body.phoneNumber)
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
      const codeHash = hashOf('code', `${phoneNumber}:${code}`)
      const decide = () =>
        ctx.transaction(async (trx) => {
          const previous = await findCodeForUpdate(trx, ctx.dialect, phoneNumber)
          const decision = decideCodeRequest(previous, { phoneNumber, codeHash, now: ctx.now() }, signIn)
          if (
            decision.kind === 'send' &&
            !(await saveCode(trx, ctx.dialect, decision.record, Boolean(previous)))
          )
            return undefined
          return decision
        })
      // A phone's first two requests at once: the second finds the first's code on its retry.
      const decision = (await decide()) ?? (await decide())
      if (!decision) throw new Error(`the sign-in code of a phone kept changing`)
      if (decision.kind === 'limited') {
        throw new HttpProblem(429, 'too-many-codes', 'Too many codes for this phone: wait a little.', {
          headers: { 'retry-after': String(decision.retryAfterSeconds) },
        })
      }
      // Not awaited: the answer is the same, and as quick, whether or not the phone gets it.
      notifier
        .send({ phoneNumber, kind: 'sign-in-code', message: codeMessage(code, signIn.codeTtlMs) })
        .catch((error: unknown) => request.log.warn({ err: error }, 'sign-in code not delivered'))
      return reply.code(202).send({ expiresInSeconds: Math.round(signIn.codeTtlMs / 1000) })
    },
  )

  app.post(
    '/auth/token',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Exchange a sign-in code for a session',
        tags: ['sign-in'],
        body: TokenBody,
        response: { 200: TokenView, 400: ProblemSchema, 401: ProblemSchema },
      },
    },
    async (request, reply) => {
      const phoneNumber = phoneOf(request.body.phoneNumber)
      const code = request.body.code.trim()
      const now = ctx.now()
      // The try is counted before the code is judged, right or wrong, even a malformed one.
      const counted = await takeTry(ctx.db, phoneNumber, now, signIn.maxTries)
      const codeHash = hashOf('code', `${phoneNumber}:${code}`)
      if (!counted || !CODE_PATTERN.test(code) || counted.codeHash !== codeHash) throw refused()
      const sessionId = randomBytes(16).toString('base64url')
      const expiresAt = new Date(now.getTime() + signIn.sessionTtlMs)
      const signedIn = await ctx.transaction(async (trx) => {
        if (!(await spendCode(trx, phoneNumber, codeHash))) return false
        await insertSession(trx, { id: hashOf('session', sessionId), phoneNumber, createdAt: now, expiresAt })
        return true
      })
      if (!signedIn) throw refused()
      const token = signSession(secret, { phoneNumber, sessionId, expiresAt })
      return reply
        .header('set-cookie', sessionCookie(token, expiresAt, secureCookie))
        .header('cache-control', 'no-store')
        .send({ token, expiresAt: expiresAt.toISOString() })
    },
  )

  app.get(
    '/auth/session',
    {
      config: { access: 'customer' },
      schema: {
        summary: 'The session, while it is on (the gateway asks this before it lets a session through)',
        tags: ['sign-in'],
        response: {
          200: Type.Object({ phoneNumber: Type.String(), expiresAt: Type.String({ format: 'date-time' }) }),
          401: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const session = request.customer
      if (!session || !(await sessionIsLive(ctx.db, hashOf('session', session.sessionId), ctx.now()))) {
        throw ended()
      }
      return reply
        .header('cache-control', 'no-store')
        .send({ phoneNumber: session.phoneNumber, expiresAt: session.expiresAt.toISOString() })
    },
  )

  app.post(
    '/auth/logout',
    {
      config: { access: 'customer' },
      schema: {
        summary: 'End the session',
        tags: ['sign-in'],
        response: { 204: Type.Null(), 401: ProblemSchema },
      },
    },
    async (request, reply) => {
      const session = request.customer
      if (session) await endSession(ctx.db, hashOf('session', session.sessionId), ctx.now())
      return reply
        .code(204)
        .header('set-cookie', sessionCookie('', new Date(0), secureCookie))
        .send(null)
    },
  )
}

/** HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure over https. */
const sessionCookie = (token: string, expires: Date, secure: boolean) =>
  stringifySetCookie({
    name: SESSION_COOKIE,
    value: token,
    expires,
    httpOnly: true,
    sameSite: 'strict',
    secure,
    path: '/',
  })
