import { type AccessSettings, type ConfigReader, keyedHash, type Logger } from '@cafeteria/platform'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { clientAddress, signedInPhone, tooManyRequests } from './clients.ts'
import { connectRedis } from './redis.ts'

/** How many requests of each kind one client may make; 0 turns a limit off. */
export interface RateLimitSettings {
  /** `POST /orders` a minute, per signed-in customer, else per address (`RATE_LIMIT_ORDERS_PER_MINUTE`). */
  readonly ordersPerMinute: number
  /** `PATCH /orders/{id}` (cancels) a minute, counted the same way (`RATE_LIMIT_CANCELS_PER_MINUTE`). */
  readonly cancelsPerMinute: number
  /**
   * `POST /auth/code` per address in 10 minutes (`RATE_LIMIT_AUTH_CODES_PER_10_MINUTES`). Loose: a
   * cafe's customers share its Wi-Fi's address; customercenter limits the codes of each phone.
   */
  readonly authCodesPer10Minutes: number
  /** `POST /auth/token` per address in 10 minutes (`RATE_LIMIT_AUTH_TOKENS_PER_10_MINUTES`). */
  readonly authTokensPer10Minutes: number
  /** Where the gateway replicas share their counters (`REDIS_URL`); each its own in memory without. */
  readonly redisUrl: string | undefined
  /** What their keys in Redis start with (`RATE_LIMIT_REDIS_PREFIX`), for a Redis shared with others. */
  readonly redisPrefix: string
}

export function rateLimitSettings(read: ConfigReader): RateLimitSettings {
  const redisUrl = read.optional('REDIS_URL')
  if (redisUrl !== undefined && !(URL.canParse(redisUrl) && /^rediss?:\/\//.test(redisUrl))) {
    read.refuse('REDIS_URL: not a redis:// or rediss:// URL')
  }
  return {
    ordersPerMinute: read.int('RATE_LIMIT_ORDERS_PER_MINUTE', 20),
    cancelsPerMinute: read.int('RATE_LIMIT_CANCELS_PER_MINUTE', 10),
    authCodesPer10Minutes: read.int('RATE_LIMIT_AUTH_CODES_PER_10_MINUTES', 30),
    authTokensPer10Minutes: read.int('RATE_LIMIT_AUTH_TOKENS_PER_10_MINUTES', 60),
    redisUrl,
    redisPrefix: read.string('RATE_LIMIT_REDIS_PREFIX', 'cafeteria:rate-limit:'),
  }
}

interface Rule {
  readonly name: string
  readonly method: string
  /** The path, without its query. */
  readonly path: RegExp
  /** Counted per signed-in customer when the request carries a valid session, else per address. */
  readonly perCustomer: boolean
  readonly max: number
  readonly windowMs: number
  /** For the 429's detail: "at most 20 <what> <window>". */
  readonly what: string
  readonly window: string
}

const MINUTE = 60_000

const rulesOf = (settings: RateLimitSettings): Rule[] =>
  [
    {
      name: 'orders',
      method: 'POST',
      path: /^\/orders\/?$/,
      perCustomer: true,
      max: settings.ordersPerMinute,
      windowMs: MINUTE,
      what: 'orders',
      window: 'a minute',
    },
    {
      name: 'cancels',
      method: 'PATCH',
      path: /^\/orders\/[^/]+\/?$/,
      perCustomer: true,
      max: settings.cancelsPerMinute,
      windowMs: MINUTE,
      what: 'cancels',
      window: 'a minute',
    },
    {
      name: 'auth-codes',
      method: 'POST',
      path: /^\/auth\/code\/?$/,
      perCustomer: false,
      max: settings.authCodesPer10Minutes,
      windowMs: 10 * MINUTE,
      what: 'sign-in codes',
      window: 'in 10 minutes',
    },
    {
      name: 'auth-tokens',
      method: 'POST',
      path: /^\/auth\/token\/?$/,
      perCustomer: false,
      max: settings.authTokensPer10Minutes,
      windowMs: 10 * MINUTE,
      what: 'sign-in attempts',
      window: 'in 10 minutes',
    },
  ].filter((rule) => rule.max > 0)

/** How often at most a failure to count (Redis slow or away) is logged. */
const FAILURE_REPORT_MS = 10_000

/**
 * Rate limits at the public edge, with @fastify/rate-limit's counters (fixed windows; in Redis
 * when `REDIS_URL` says, so that every replica counts against one budget). Over a limit: 429 with
 * `Retry-After` and a problem body; under it, the `X-RateLimit-*` headers say what is left.
 * Register after the session gate, so that an ended session counts as no session.
 */
export async function registerRateLimits(
  app: FastifyInstance<any, any, any, any, any>,
  settings: RateLimitSettings,
  options: { access: AccessSettings; log: Logger },
): Promise<void> {
  const { access, log } = options
  const rules = rulesOf(settings)
  // The original's open API is for its walkthrough and load tests (siege -c100 from one
  // machine): it keeps the original's behaviour, without limits.
  if (access.open || rules.length === 0) return
  const redis = settings.redisUrl === undefined ? undefined : await connectRedis(settings.redisUrl, log)
  if (redis) app.addHook('onClose', async () => redis.disconnect())

  // What the hook below found for a request, for the plugin's callbacks to read.
  const counting = new WeakMap<FastifyRequest, { rule: Rule; key: string }>()
  const of = (request: FastifyRequest) => counting.get(request) as { rule: Rule; key: string }
  await app.register(rateLimit, {
    // Only the requests the hook hands over are counted, not every route.
    global: false,
    ...(redis ? { redis, nameSpace: settings.redisPrefix } : { cache: 10_000 }),
    keyGenerator: (request) => of(request).key,
    max: (request) => of(request).rule.max,
    timeWindow: (request) => of(request).rule.windowMs,
  })
  const count = app.createRateLimit()

  let reported = 0
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?', 1)[0] as string
    const rule = rules.find((r) => r.method === request.method && r.path.test(path))
    if (!rule) return
    const phone = rule.perCustomer ? signedInPhone(access, request) : undefined
    // A keyed hash: no phone number is kept in Redis.
    const key =
      phone !== undefined && access.secret
        ? `${rule.name}:customer:${keyedHash(access.secret, 'rate-limit', phone)}`
        : `${rule.name}:address:${clientAddress(request)}`
    counting.set(request, { rule, key })
    let counted: Awaited<ReturnType<typeof count>>
    try {
      counted = await count(request)
    } catch (error) {
      if (Date.now() - reported > FAILURE_REPORT_MS) {
        reported = Date.now()
        log.warn({ err: error, limit: rule.name }, 'rate limit not counted; the request goes through')
      }
      return
    }
    if (counted.isAllowed) return
    reply
      .header('x-ratelimit-limit', counted.max)
      .header('x-ratelimit-remaining', counted.remaining)
      .header('x-ratelimit-reset', counted.ttlInSeconds)
    if (!counted.isExceeded) return
    const who = phone === undefined ? 'from each address' : 'for each customer'
    return tooManyRequests(
      reply,
      counted.ttlInSeconds,
      'rate-limited',
      `Too many ${rule.what}: at most ${rule.max} ${rule.window} ${who}. Try again in ${Math.max(1, counted.ttlInSeconds)} s.`,
    )
  })
}
