import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ConfigError } from '@cafeteria/platform'
import { call, callFrom, loopbackClient } from '@cafeteria/platform/testing'
import { startAnyUpstream, startGatewayOver } from './testing.ts'

const anOrder = { productName: '아메리카노', qty: 1 }
const orderAs = (url: string, forwardedFor: string) =>
  call(`${url}/orders`, { method: 'POST', json: anOrder, headers: { 'x-forwarded-for': forwardedFor } })

describe('the client address behind a proxy (TRUST_PROXY)', () => {
  test('unset: a made-up X-Forwarded-For does not buy a fresh budget', async (t) => {
    const gateway = await startGatewayOver(t, await startAnyUpstream(t), {
      RATE_LIMIT_ORDERS_PER_MINUTE: '1',
    })
    assert.equal((await orderAs(gateway.url, '203.0.113.1')).status, 201)
    assert.equal((await orderAs(gateway.url, '203.0.113.2')).status, 429)
  })

  test('naming the proxy: the address it forwards for is counted, and only from that proxy', async (t) => {
    const gateway = await startGatewayOver(t, await startAnyUpstream(t), {
      RATE_LIMIT_ORDERS_PER_MINUTE: '1',
      TRUST_PROXY: '127.0.0.1/32',
    })
    assert.equal((await orderAs(gateway.url, '203.0.113.1')).status, 201)
    assert.equal((await orderAs(gateway.url, '203.0.113.1')).status, 429)
    assert.equal((await orderAs(gateway.url, '203.0.113.2')).status, 201)
    // A client that reaches the gateway past the proxy is counted by its own address.
    const direct = loopbackClient(1)
    assert.ok(direct, 'a second loopback address (127.0.0.2)')
    const send = (forwardedFor: string) =>
      callFrom(direct, `${gateway.url}/orders`, {
        method: 'POST',
        json: anOrder,
        headers: { 'x-forwarded-for': forwardedFor },
      })
    assert.equal((await send('203.0.113.3')).status, 201)
    assert.equal((await send('203.0.113.4')).status, 429)
  })

  test('a hop count: the address the last proxy saw, whatever the client put before it', async (t) => {
    const gateway = await startGatewayOver(t, await startAnyUpstream(t), {
      RATE_LIMIT_ORDERS_PER_MINUTE: '1',
      TRUST_PROXY: '1',
    })
    assert.equal((await orderAs(gateway.url, '198.51.100.1, 203.0.113.5')).status, 201)
    assert.equal((await orderAs(gateway.url, '198.51.100.2, 203.0.113.5')).status, 429)
    assert.equal((await orderAs(gateway.url, '203.0.113.6')).status, 201)
  })

  test('trusting every client is refused at start', async (t) => {
    await assert.rejects(
      startGatewayOver(t, await startAnyUpstream(t), { TRUST_PROXY: 'true' }),
      (error) => error instanceof ConfigError && /TRUST_PROXY/.test(error.message),
    )
  })
})
