import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { connect } from 'node:net'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createLogger } from '@cafeteria/platform'
import { call } from '../../../test/support/system.ts'
import { startGateway } from './index.ts'

// An upstream that answers after a while, so a client can give up before the answer comes.
const upstream = createServer((_request, response) => {
  setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end('{"id":1}'), 300)
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
  for (let i = 0; i < 5; i++) {
    const socket = connect(Number(port), hostname)
    socket.on('error', () => {})
    socket.write(`GET /drinks/1 HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`)
    setTimeout(() => socket.destroy(), 50)
  }
  // The upstream answers the abandoned requests meanwhile; an unheard stream error would have
  // ended this process.
  await sleep(600)
  const answer = await call(`${gateway.url}/drinks/1`)
  assert.equal(answer.status, 200)
})
