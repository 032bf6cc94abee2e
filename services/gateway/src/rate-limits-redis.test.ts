import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, describe, test } from 'node:test'
import { call, closedPort } from '@cafeteria/platform/testing'
import { Redis } from 'ioredis'
import { startAnyUpstream, startGatewayOver } from './testing.ts'

/** This machine's Redis, shared with others: every key of these tests starts with a prefix of their own. */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const prefix = `cafeteria-test:${randomUUID()}:`

const redis = new Redis(REDIS_URL, { lazyConnect: true })
after(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(...keys)
  await redis.quit()
})

const anOrder = { productName: '아메리카노', qty: 1 }
const order = (url: string) => call(`${url}/orders`, { method: 'POST', json: anOrder })

describe('rate limits shared in Redis (REDIS_URL)', () => {
  test('two gateways on one Redis count against one budget', async (t) => {
    const upstream = await startAnyUpstream(t)
    const env = { RATE_LIMIT_ORDERS_PER_MINUTE: '3', REDIS_URL, RATE_LIMIT_REDIS_PREFIX: prefix }
    const a = await startGatewayOver(t, upstream, env)
    const b = await startGatewayOver(t, upstream, env)
    assert.equal((await order(a.url)).status, 201)
    assert.equal((await order(a.url)).status, 201)
    assert.equal((await order(b.url)).status, 201)
    const over = await order(b.url)
    assert.equal(over.status, 429)
    assert.ok(Number(over.headers.get('retry-after')) >= 1)
    assert.equal((await order(a.url)).status, 429)
    // The count is Redis's, under the prefix, and expires with its window.
    const keys = await redis.keys(`${prefix}*`)
    assert.equal(keys.length, 1)
    assert.match(keys[0] as string, /orders:address:127\.0\.0\.1$/)
    assert.equal(await redis.get(keys[0] as string), '5')
    const ttl = await redis.pttl(keys[0] as string)
    assert.ok(ttl > 0 && ttl <= 60_000, `ttl ${ttl}`)
  })

  test('with Redis out of reach, the gateway starts and lets requests through uncounted', async (t) => {
    const env = {
      RATE_LIMIT_ORDERS_PER_MINUTE: '1',
      REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
      RATE_LIMIT_REDIS_PREFIX: prefix,
    }
    const gateway = await startGatewayOver(t, await startAnyUpstream(t), env)
    for (let i = 0; i < 3; i++) assert.equal((await order(gateway.url)).status, 201)
  })
})
