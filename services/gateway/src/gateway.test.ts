import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, before, test } from 'node:test'
import { createLogger } from '@cafeteria/platform'
import { call } from '@cafeteria/platform/testing'
import { startGateway } from './testing.ts'

/** A port nobody listens on: the upstream is down. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

let gateway: Awaited<ReturnType<typeof startGateway>>
before(async () => {
  const down = `http://127.0.0.1:${await closedPort()}`
  gateway = await startGateway({
    env: {
      HOST: '127.0.0.1',
      OPEN_API: 'true',
      GATEWAY_PORT: '0',
      ORDER_URL: down,
      PAYMENT_URL: down,
      DRINK_URL: down,
      CUSTOMERCENTER_URL: down,
      POINT_URL: down,
    },
    logger: createLogger({ level: 'silent' }),
  })
})
after(() => gateway.stop())

test('an upstream that is down gives 503 with Retry-After and a problem body', async () => {
  const answer = await call(`${gateway.url}/orders/1`)
  assert.equal(answer.status, 503)
  assert.ok(answer.headers.get('retry-after'))
  assert.match(answer.headers.get('content-type') ?? '', /problem\+json/)
  assert.match(answer.body.detail, /order/)
})

test('an unknown path is 404 with a problem body', async () => {
  const answer = await call(`${gateway.url}/nope`)
  assert.equal(answer.status, 404)
  assert.equal(answer.body.status, 404)
})

test('internal endpoints are not routed', async () => {
  const pay = await call(`${gateway.url}/payments`, {
    method: 'POST',
    json: { orderId: 1, phoneNumber: '01012345678', amt: 1 },
  })
  assert.equal(pay.status, 404)
})

test('the gateway reports itself live and ready', async () => {
  assert.equal((await call(`${gateway.url}/health/live`)).status, 200)
  assert.equal((await call(`${gateway.url}/health/ready`)).status, 200)
})

test('with every service down, the docs still answer, naming the missing services', async () => {
  const answer = await call(`${gateway.url}/docs/openapi.json`)
  assert.equal(answer.status, 200)
  assert.deepEqual(answer.body.paths, {})
  assert.match(answer.body.info.description, /order, payment, drink, customercenter, point/)
  assert.equal((await call(`${gateway.url}/docs`)).status, 200)
})
