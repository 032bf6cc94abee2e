import type { Logger } from '@cafeteria/platform'
import { Redis } from 'ioredis'

/**
 * A connection to the Redis that the gateway's replicas keep shared counters in. A limit is a
 * safeguard, not a dependency: a command that cannot be sent at once, or is not answered within
 * half a second, fails at once, and the caller lets its request through uncounted rather than
 * keeping customers waiting on Redis. Losing and finding Redis again are logged once each; ioredis
 * reconnects by itself meanwhile.
 */
export async function connectRedis(url: string, log: Logger): Promise<Redis> {
  const where = new URL(url).host
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 500,
    connectTimeout: 2000,
  })
  let down = false
  redis.on('error', (error: Error) => {
    if (down) return
    down = true
    log.warn({ err: error, redis: where }, 'Redis unavailable: rate limits count nothing until it is back')
  })
  redis.on('ready', () => {
    if (!down) return
    down = false
    log.info({ redis: where }, 'Redis is back: rate limits count again')
  })
  // The first requests should already count; when Redis is not there, the gateway starts anyway.
  await redis.connect().catch(() => undefined)
  return redis
}
