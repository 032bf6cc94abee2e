import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { connect } from 'node:net'
import { after, before, test } from 'node:test'
import { createLogger } from '@cafeteria/platform'
import { call, waitFor } from '@cafeteria/platform/testing'
import { startGateway } from './testing.ts'

// An upstream that holds its answers until the test lets them go, so a client can give up first.
let arrived = 0
let ended = 0
let release = () => {}
const released = new Promise<void>((resolve) => {
  release = resolve
})
const upstream = createServer((_request, response) => {
  arrived++
  // 'close': answered, or abandoned by the gateway first; either way that request is over.
  response.on('close', () => ended++)
  void released.then(() => response.writeHead(200, { 'content-type': 'application/json' }).end('{"id":1}'))
})
let gateway: Awaited<ReturnType<typeof startGateway>>
before(async () => {
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  const { port } = upstream.address() as { port: number }
  const url = `http://127.0.0.1:${port}`
  gateway = await startGateway({
    env: {
      HOST: '127.0.0.1',
      OPEN_API: 'true',
      GATEWAY_PORT: '0',
      ORDER_URL: url,
      PAYMENT_URL: url,
      DRINK_URL: url,
      CUSTOMERCENTER_URL: url,
      POINT_URL: url,
    },
    logger: createLogger({ level: 'silent' }),
  })
})
after(async () => {
  await gateway.stop()
  upstream.closeAllConnections()
  await new Promise((resolve) => upstream.close(resolve))
})

test('Given clients that hang up before the upstream answers, when the answers come, then the gateway goes on serving', async () => {
  const { hostname, port } = new URL(gateway.url)
  const clients = Array.from({ length: 5 }, () => {
    const socket = connect(Number(port), hostname)
    socket.on('error', () => {})
    socket.write(`GET /drinks/1 HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`)
    return socket
  })
  await waitFor(async () => arrived >= 5, 5000, { what: 'the requests to reach the upstream' })
  for (const socket of clients) socket.destroy()
  // The upstream answers the abandoned requests; an unheard stream error would have ended this process.
  release()
  await waitFor(async () => ended >= 5, 5000, { what: 'the upstream to be done with them' })
  const answer = await call(`${gateway.url}/drinks/1`)
  assert.equal(answer.status, 200)
})
