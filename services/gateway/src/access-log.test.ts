import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { createLogger, openLocalBus, type ServiceDefinition, startService } from '@cafeteria/platform'
import { tempDir } from '@cafeteria/platform/testing'
import { startGateway } from './testing.ts'

/** Stands in for the order service: a platform service answering the path the gateway routes. */
const upstream: ServiceDefinition<object> = {
  name: 'order',
  migrations: [],
  routes(app) {
    app.get('/orders/:id', { config: { access: 'public' } }, async (request) => ({
      id: Number((request.params as { id: string }).id),
    }))
  },
}

const accessLines = async (dir: string, service: string) =>
  (await readFile(join(dir, service, 'current.log'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === 'request')

test('the gateway writes an access line per request, with the request id the service logs too', async () => {
  await using dir = await tempDir()
  const env = { HOST: '127.0.0.1', OPEN_API: 'true', LOG_DIR: dir.path }
  // The lines go to the files; stdout is dropped here.
  const quiet = () => createLogger({ level: 'info', destination: { write() {} } })
  const bus = openLocalBus({ path: ':memory:' })
  const order = await startService(upstream, {
    env: { ...env, ORDER_PORT: '0' },
    bus,
    logger: quiet(),
    defaults: { port: 0, databaseUrl: 'sqlite::memory:' },
  })
  const gateway = await startGateway({
    env: { ...env, GATEWAY_PORT: '0', ORDER_URL: order.url },
    logger: quiet(),
  })
  try {
    const answer = await fetch(`${gateway.url}/orders/7`)
    assert.equal(answer.status, 200)
    assert.deepEqual(await answer.json(), { id: 7 })
    await fetch(`${gateway.url}/health/live`).then((r) => r.text())
  } finally {
    await gateway.stop()
    await order.stop()
    await bus.close()
  }
  const [atGateway, ...more] = await accessLines(dir.path, 'gateway')
  assert.equal(more.length, 0, 'no line for /health/live')
  assert.equal(atGateway?.service, 'gateway')
  assert.equal(atGateway?.method, 'GET')
  assert.equal(atGateway?.path, '/orders/7')
  assert.equal(atGateway?.status, 200)
  assert.equal(atGateway?.bytes, '{"id":7}'.length)
  assert.equal(typeof atGateway?.ms, 'number')
  assert.match(String(atGateway?.reqId), /^[0-9a-f-]{36}$/)
  const [atOrder] = await accessLines(dir.path, 'order')
  assert.equal(atOrder?.path, '/orders/7')
  assert.equal(atOrder?.reqId, atGateway?.reqId)
})
