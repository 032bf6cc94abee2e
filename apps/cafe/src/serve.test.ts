import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, createLogger } from '@cafeteria/platform'
import { serveOne } from './serve.ts'

const logger = createLogger({ level: 'silent' })
// Refused before any connection: nothing answers at this address.
const env = { AUTH_SECRET: 'a-secret-for-the-sessions-of-this-test', NATS_URL: 'nats://127.0.0.1:9' }

test('a pod of drink refuses to start without a staff token outside open mode, or with a short one', async () => {
  await assert.rejects(
    serveOne('drink', env, logger),
    (error: unknown) =>
      error instanceof ConfigError && /STAFF_TOKEN \(or STAFF_TOKEN_FILE\) is required/.test(error.message),
  )
  for (const open of ['false', 'true']) {
    await assert.rejects(
      serveOne('drink', { ...env, OPEN_API: open, STAFF_TOKEN: 'twenty-three-characters' }, logger),
      (error: unknown) =>
        error instanceof ConfigError && /STAFF_TOKEN: must be at least 24 characters/.test(error.message),
    )
  }
})
