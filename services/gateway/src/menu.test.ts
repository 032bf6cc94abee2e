import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, createLogger } from '@cafeteria/platform'
import { call } from '@cafeteria/platform/testing'
import { startGateway } from './testing.ts'

/** The gateway's `GET /menu` reads the settings the order service prices from. */
const env = { HOST: '127.0.0.1', GATEWAY_PORT: '0', AUTH_SECRET: 'a-test-secret-of-at-least-32-characters' }
const logger = createLogger({ level: 'silent' })

test('GET /menu: the items with their ids and availability, MAX_QTY, and that customers sign in', async (t) => {
  const gateway = await startGateway({
    env: { ...env, MAX_QTY: '5', MENU: '[{"id":"latte","name":"카페라테","price":5000,"available":false}]' },
    logger,
  })
  t.after(() => gateway.stop())
  const menu = await call(`${gateway.url}/menu`)
  assert.equal(menu.status, 200)
  assert.deepEqual(menu.body, {
    items: [{ id: 'latte', name: '카페라테', price: 5000, available: false }],
    maxQty: 5,
    signIn: true,
  })
})

test('a bad MENU stops the start, named together with the other bad settings', async () => {
  await assert.rejects(
    startGateway({ env: { ...env, MENU: '[]', GATEWAY_PORT: 'x', MAX_QTY: '1001' }, logger }),
    (error: unknown) =>
      error instanceof ConfigError &&
      ['MENU:', 'GATEWAY_PORT', 'MAX_QTY'].every((name) => error.problems.some((p) => p.startsWith(name))),
  )
})
