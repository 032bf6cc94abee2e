import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startEmbedded } from '../../apps/cafe/src/embedded.ts'
import { createLogger } from '../../packages/platform/src/index.ts'
import { call, ephemeralPorts, waitFor } from '../support/system.ts'

const PHONE = '01077712345'

test('no log line of the system carries a whole phone number: access lines of the gateway and the services, the notification', async (t) => {
  const lines: string[] = []
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } })
  // In memory: one thread, so every service writes through this logger.
  const system = await startEmbedded(
    { ...ephemeralPorts, CAFE_DATA_DIR: ':memory:', NOTIFIER: 'log' },
    logger,
  )
  t.after(() => system.stop())

  // Signed in with the code the log notifier delivers: the log is the phone here.
  const asked = await call(`${system.url}/auth/code`, { method: 'POST', json: { phoneNumber: PHONE } })
  assert.equal(asked.status, 202)
  const code = await waitFor(
    async () =>
      lines
        .map((line) => /인증번호 (\d{6})/.exec(JSON.parse(line).msg ?? '')?.[1])
        .find((found) => found !== undefined),
    10_000,
    'the sign-in code',
  )
  const signedIn = await call(`${system.url}/auth/token`, {
    method: 'POST',
    json: { phoneNumber: PHONE, code },
  })
  assert.equal(signedIn.status, 200)
  const customer = { authorization: `Bearer ${signedIn.body.token}` }

  const placed = await call(`${system.url}/orders`, {
    method: 'POST',
    json: { productId: 'americano', qty: 1 },
    headers: customer,
  })
  assert.equal(placed.status, 201)
  for (const phone of [PHONE, '010-7771-2345']) {
    const page = await call(`${system.url}/mypages/search/findByPhoneNumber?phoneNumber=${phone}`, {
      headers: customer,
    })
    assert.equal(page.status, 200)
  }
  // A phone number the API refuses is still in the URL the access line shows.
  assert.equal(
    (
      await call(`${system.url}/points/search/findByPhoneNumber?phoneNumber=010 7771 2345`, {
        headers: customer,
      })
    ).status,
    400,
  )
  const ordered = (line: string) => line.includes('"msg":"To. ') && line.includes('Your Order is Ordered')
  await waitFor(async () => lines.some(ordered), 10_000, 'the notification')

  const logged = lines.map((line) => JSON.parse(line))
  const access = logged.filter((l) => l.msg === 'request' && String(l.path).includes('phoneNumber='))
  assert.deepEqual(
    access.filter((l) => l.service === 'gateway').map((l) => l.path),
    [
      '/mypages/search/findByPhoneNumber?phoneNumber=010****2345',
      '/mypages/search/findByPhoneNumber?phoneNumber=010-****-2345',
      '/points/search/findByPhoneNumber?phoneNumber=010%20****%202345',
    ],
  )
  assert.ok(
    access.some((l) => l.service === 'customercenter'),
    "the service's own access lines",
  )
  const notified = logged.filter((l) => l.msg.startsWith('To. ')).map((l) => l.msg.split('\n')[0])
  assert.deepEqual(notified, ['To. 010****2345', 'To. 010****2345'], 'the sign-in code and the order')
  assert.ok(logged.some((l) => l.msg === 'To. 010****2345\nYour Order is Ordered'))
  for (const line of lines) {
    assert.ok(!/7771(-|%20)?2345/.test(line), `a whole phone number in ${line}`)
  }
})
