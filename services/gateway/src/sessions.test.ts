import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createLogger, signSession } from '@cafeteria/platform'
import Fastify from 'fastify'
import { registerSessionGate } from './sessions.ts'

const secret = Buffer.from('a-session-secret-of-32-characters!')
const access = { open: false, secret, https: false }
const token = signSession(secret, {
  phoneNumber: '01012345679',
  sessionId: 's1',
  expiresAt: new Date(Date.now() + 3_600_000),
})

/** A gateway with the gate, whose one route echoes the credentials that reach the service. */
async function gatewayAsking(ask: (token: string) => Promise<boolean>) {
  const app = Fastify()
  registerSessionGate(app, { access, ask, recheckMs: 60_000, log: createLogger({ level: 'silent' }) })
  app.get('/echo', async (request) => ({ authorization: request.headers.authorization ?? null }))
  await app.ready()
  return app
}

test('requests that find a session unchecked at once ask customercenter once between them', async () => {
  let asked = 0
  let answer!: (live: boolean) => void
  const app = await gatewayAsking(() => {
    asked++
    return new Promise<boolean>((resolve) => {
      answer = resolve
    })
  })
  const requests = Array.from({ length: 20 }, () =>
    app.inject({ method: 'GET', url: '/echo', headers: { authorization: `Bearer ${token}` } }),
  )
  while (!answer) await new Promise((resolve) => setImmediate(resolve))
  answer(true)
  const answers = await Promise.all(requests)
  assert.equal(asked, 1)
  for (const a of answers) assert.equal(a.json().authorization, `Bearer ${token}`)
  await app.close()
})

test('an ended session is taken off the request; one customercenter cannot answer about is let through', async () => {
  const ended = await gatewayAsking(async () => false)
  const off = await ended.inject({
    method: 'GET',
    url: '/echo',
    headers: { authorization: `Bearer ${token}` },
  })
  assert.equal(off.json().authorization, null)
  await ended.close()
  const unreachable = await gatewayAsking(async () => {
    throw new Error('connection refused')
  })
  const through = await unreachable.inject({
    method: 'GET',
    url: '/echo',
    headers: { authorization: `Bearer ${token}` },
  })
  assert.equal(through.json().authorization, `Bearer ${token}`)
  await unreachable.close()
})
