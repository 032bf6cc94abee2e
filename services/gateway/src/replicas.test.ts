import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { createLogger } from '@cafeteria/platform'
import { call } from '@cafeteria/platform/testing'
import { startGateway } from './testing.ts'

/** One replica of the order service: answers every request with its own address. */
async function orderReplica(handle?: (request: IncomingMessage, response: ServerResponse) => boolean) {
  const seen: string[] = []
  const server = createServer((request, response) => {
    if (request.url === '/health/ready') return void response.writeHead(200).end()
    seen.push(`${request.method} ${request.url}`)
    request.resume().on('end', () => {
      if (handle?.(request, response)) return
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ from: url }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const stop = async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  return { url, seen, stop }
}

async function gatewayOver(orderUrls: string[]) {
  return startGateway({
    env: { HOST: '127.0.0.1', OPEN_API: 'true', GATEWAY_PORT: '0', ORDER_URL: orderUrls.join(',') },
    logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  })
}

test('ORDER_URL with several replicas: the gateway balances over them and skips one that is gone', async (t) => {
  const [a, b] = [await orderReplica(), await orderReplica()]
  t.after(() => a.stop())
  const gateway = await gatewayOver([a.url, b.url])
  t.after(() => gateway.stop())

  const froms = new Set<string>()
  for (let i = 0; i < 4; i++) froms.add((await call(`${gateway.url}/orders/${i}`)).body.from)
  assert.deepEqual([...froms].sort(), [a.url, b.url].sort())

  await b.stop()
  for (let i = 0; i < 6; i++) {
    const placed = await call(`${gateway.url}/orders`, { method: 'POST', json: { n: i } })
    assert.equal(placed.status, 200)
    assert.equal(placed.body.from, a.url)
  }
})

test('a POST that reached a replica is sent again only with an Idempotency-Key', async (t) => {
  // b acts on the order, then its connection breaks before it answers.
  const b = await orderReplica((request) => {
    request.socket.destroy()
    return true
  })
  const a = await orderReplica()
  t.after(() => Promise.all([a.stop(), b.stop()]))
  const place = async (headers: Record<string, string>) => {
    const gateway = await gatewayOver([b.url, a.url])
    t.after(() => gateway.stop())
    // The balancer starts its round robin at the second replica: make b the one that answers next.
    await call(`${gateway.url}/orders/0`)
    return call(`${gateway.url}/orders`, { method: 'POST', json: { qty: 1 }, headers })
  }
  const plain = await place({})
  assert.equal(plain.status, 503, 'not repeated: b may have placed the order')
  assert.equal(b.seen.filter((s) => s === 'POST /orders').length, 1)
  assert.equal(a.seen.filter((s) => s === 'POST /orders').length, 0)

  const keyed = await place({ 'idempotency-key': 'k-1' })
  assert.equal(keyed.status, 200)
  assert.equal(keyed.body.from, a.url)
  assert.equal(b.seen.filter((s) => s === 'POST /orders').length, 2)
})
