import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  type BusMessage,
  ConfigError,
  connectJetStream,
  createLogger,
  natsSettings,
} from '@cafeteria/platform'
import { serveOne } from '../../apps/cafe/src/serve.ts'
import { type OwnNats, startOwnNats } from '../support/cluster.ts'
import { type NatsAuthMode, natsAuthSetup } from '../support/nats-auth.ts'

/**
 * A service against a nats-server of the test's own that requires clients to sign in: with the
 * right credentials it starts and its events reach another client; with wrong or missing ones it
 * stops at start-up with a message naming the settings, at once.
 */
const logger = createLogger({ level: 'silent' })
const cli = fileURLToPath(new URL('../../apps/cafe/src/cli.ts', import.meta.url))
/** Far below the client's 20 s handshake timeout or any retry loop: a refusal is immediate. */
const PROMPT_MS = 5_000

let stream = 0
/** payment in distributed mode on an in-memory database, against `nats`. */
const paymentEnv = (nats: Record<string, string>) => ({
  ...nats,
  NATS_STREAM: `AUTH_${process.pid}_${++stream}`,
  PAYMENT_DATABASE_URL: 'sqlite::memory:',
  PAYMENT_PORT: '0',
  AUTH_SECRET: 'a-session-secret-of-32-characters-or-more',
  SHUTDOWN_DELAY_MS: '0',
})

async function refusal(env: Record<string, string>): Promise<ConfigError> {
  const started = Date.now()
  const error = await serveOne('payment', env, logger).then(
    async (service) => {
      await service.close()
      assert.fail('the service started')
    },
    (error: unknown) => error,
  )
  assert.ok(error instanceof ConfigError, String(error))
  assert.ok(Date.now() - started < PROMPT_MS, `refused after ${Date.now() - started} ms`)
  return error
}

const modes: ReadonlyArray<{ mode: NatsAuthMode; wrong: (dir: string) => Promise<Record<string, string>> }> =
  [
    { mode: 'user', wrong: async () => ({ NATS_USER: 'cafe', NATS_PASSWORD: 'not-the-password' }) },
    { mode: 'token', wrong: async () => ({ NATS_TOKEN: 'not-the-token' }) },
    // A user of another operator, whom this server does not trust.
    { mode: 'creds', wrong: async (dir) => (await natsAuthSetup('creds', dir)).env },
  ]

for (const { mode, wrong } of modes) {
  describe(`a nats-server that requires ${mode} credentials`, () => {
    let nats: OwnNats
    let dir: string
    before(async () => {
      nats = await startOwnNats({ auth: mode })
      dir = await mkdtemp(join(tmpdir(), 'cafe-nats-auth-'))
    })
    after(async () => {
      await nats?.stop()
      await rm(dir, { recursive: true, force: true })
    })

    test('with the right ones a service starts and its events reach a client signed in the same way', async () => {
      const env = paymentEnv(nats.env)
      const service = await serveOne('payment', env, logger)
      const reader = await connectJetStream({ ...natsSettings(env), name: 'auth-test-reader' })
      try {
        const seen: BusMessage[] = []
        reader.consume('auth-test-reader', async (message) => {
          seen.push(message)
        })
        const response = await fetch(`${service.url}/payments`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ orderId: 7, phoneNumber: '01012345678', amt: 500 }),
        })
        assert.equal(response.status, 201)
        const deadline = Date.now() + 10_000
        while (!seen.some((m) => m.type === 'PaymentApproved') && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        const approved = seen.find((m) => m.type === 'PaymentApproved')
        assert.ok(approved, `PaymentApproved not received; got ${seen.map((m) => m.type).join(', ')}`)
        assert.equal(JSON.parse(approved.payload).orderId, 7)
      } finally {
        await reader.close()
        await service.close()
      }
    })

    test('with wrong ones it is refused at start-up, naming the settings', async () => {
      const error = await refusal(paymentEnv({ NATS_URL: nats.url, ...(await wrong(dir)) }))
      assert.match(error.message, /refused/)
      assert.match(error.message, /Authorization Violation/)
    })

    test('with none it is refused at start-up, saying which settings to set', async () => {
      const error = await refusal(paymentEnv({ NATS_URL: nats.url }))
      assert.match(error.message, /requires credentials/)
      assert.match(error.message, /NATS_USER and NATS_PASSWORD, NATS_TOKEN or NATS_CREDS_FILE/)
    })
  })
}

test('`cafe serve` with refused credentials exits 1 at once with one clear line', async () => {
  const nats = await startOwnNats({ auth: 'user' })
  try {
    const child = spawn(process.execPath, [cli, 'serve', 'payment'], {
      env: {
        ...process.env,
        ...paymentEnv({ NATS_URL: nats.url, NATS_USER: 'cafe', NATS_PASSWORD: 'wrong' }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    const [code] = await once(child, 'exit')
    clearTimeout(timer)
    assert.equal(code, 1, stderr)
    assert.match(
      stderr,
      /^invalid configuration:\n {2}- NATS_USER\/NATS_PASSWORD: NATS at nats:\/\/127\.0\.0\.1:\d+ refused user "cafe"/,
    )
    assert.doesNotMatch(stderr, /wrong/, 'the password is never printed')
  } finally {
    await nats.stop()
  }
})

test('contradictory settings stop the service before it connects', async () => {
  const error = await refusal(paymentEnv({ NATS_URL: 'nats://127.0.0.1:1', NATS_USER: 'cafe' }))
  assert.deepEqual(error.problems, ['NATS_USER: set without NATS_PASSWORD (or NATS_PASSWORD_FILE)'])
})
