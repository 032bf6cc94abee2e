import assert from 'node:assert/strict'
import { test } from 'node:test'
import { configReader } from './config.ts'
import { consumerConcurrency, storeSettings } from './service.ts'

const PG = 'postgres://cafeteria@127.0.0.1:5432/order'
const defaults = { port: 0, databaseUrl: PG }
const settings = (env: Record<string, string>) => {
  const read = configReader(env)
  const runtime = storeSettings(read, 'order', defaults)
  read.done()
  return runtime
}

test('on a pooled database, consumer concurrency defaults to the pool size', () => {
  assert.deepEqual(consumerConcurrency(undefined, 10, PG), { consumerConcurrency: 10 })
  assert.deepEqual(consumerConcurrency(undefined, 5, 'mariadb://x@127.0.0.1/point'), {
    consumerConcurrency: 5,
  })
  const runtime = settings({ ORDER_DB_POOL_SIZE: '7' })
  assert.equal(runtime.consumerConcurrency, 7)
  assert.equal(runtime.concurrencyCappedFrom, undefined)
})

test('a concurrency within the pool is taken as given', () => {
  assert.deepEqual(consumerConcurrency(4, 10, PG), { consumerConcurrency: 4 })
  assert.deepEqual(consumerConcurrency(10, 10, PG), { consumerConcurrency: 10 })
  assert.equal(settings({ CONSUMER_CONCURRENCY: '3' }).consumerConcurrency, 3)
})

test('a concurrency larger than the pool is capped to it, and the cap is reported', () => {
  assert.deepEqual(consumerConcurrency(64, 10, PG), { consumerConcurrency: 10, concurrencyCappedFrom: 64 })
  const runtime = settings({ CONSUMER_CONCURRENCY: '64', ORDER_DB_POOL_SIZE: '8' })
  assert.equal(runtime.consumerConcurrency, 8)
  assert.equal(runtime.concurrencyCappedFrom, 64)
})

test('SQLite has no pool to exhaust: the setting is taken as given, 64 by default', () => {
  assert.deepEqual(consumerConcurrency(undefined, 10, 'sqlite::memory:'), { consumerConcurrency: 64 })
  assert.deepEqual(consumerConcurrency(128, 10, 'sqlite:/tmp/x.db'), { consumerConcurrency: 128 })
})

test('a CONSUMER_CONCURRENCY that is not a positive whole number is refused at start-up', () => {
  assert.throws(() => settings({ CONSUMER_CONCURRENCY: '0' }), /CONSUMER_CONCURRENCY/)
  assert.throws(() => settings({ CONSUMER_CONCURRENCY: 'many' }), /CONSUMER_CONCURRENCY/)
})
