import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type ConfigError, configReader } from '../config.ts'
import { accessSettings } from './access.ts'
import { signSession, verifySession } from './session-token.ts'

const SECRET = Buffer.from('a-session-secret-of-32-characters!')
const now = new Date('2026-12-07T12:00:00Z')
const session = { phoneNumber: '01012345679', sessionId: 's1', expiresAt: new Date('2026-12-08T12:00:00Z') }

const settingsOf = (env: Record<string, string>) => {
  const read = configReader(env)
  const settings = accessSettings(read)
  read.done()
  return settings
}

test('a session token names its phone until it expires', () => {
  const token = signSession(SECRET, session)
  assert.deepEqual(verifySession(SECRET, token, now), session)
  assert.equal(verifySession(SECRET, token, session.expiresAt), undefined)
})

test('a token changed in any way, or signed with another secret, names nobody', () => {
  const token = signSession(SECRET, session)
  const [payload, mac] = token.split('.') as [string, string]
  const forged = Buffer.from(JSON.stringify({ p: '01099999999', s: 's1', e: session.expiresAt.getTime() }))
  assert.equal(verifySession(SECRET, `${forged.toString('base64url')}.${mac}`, now), undefined)
  assert.equal(verifySession(SECRET, `${payload}.${mac.slice(1)}`, now), undefined)
  assert.equal(verifySession(Buffer.from('another-secret-of-32-characters!!'), token, now), undefined)
  for (const junk of ['', '.', 'x', 'x.y', `${payload}.`, `.${mac}`, 'a'.repeat(600)]) {
    assert.equal(verifySession(SECRET, junk, now), undefined, junk)
  }
})

test('without a session secret nothing starts, unless in open mode', () => {
  assert.throws(
    () => settingsOf({}),
    (error: ConfigError) => /AUTH_SECRET/.test(error.message),
  )
  assert.equal(settingsOf({ OPEN_API: 'true' }).open, true)
  assert.equal(settingsOf({ AUTH_SECRET: SECRET.toString() }).open, false)
})

test('a short secret is refused, and so is open mode with NODE_ENV=production', () => {
  assert.throws(() => settingsOf({ AUTH_SECRET: 'short' }), /at least 32 characters/)
  assert.throws(
    () => settingsOf({ OPEN_API: 'true', NODE_ENV: 'production', AUTH_SECRET: SECRET.toString() }),
    /NODE_ENV=production/,
  )
})

test('an https PUBLIC_URL makes session cookies Secure; a bad one is refused', () => {
  const secret = SECRET.toString()
  assert.equal(settingsOf({ AUTH_SECRET: secret, PUBLIC_URL: 'https://cafe.example' }).https, true)
  assert.equal(settingsOf({ AUTH_SECRET: secret, PUBLIC_URL: 'http://10.0.0.5:8080' }).https, false)
  assert.equal(settingsOf({ AUTH_SECRET: secret }).https, false)
  assert.throws(() => settingsOf({ AUTH_SECRET: secret, PUBLIC_URL: 'not a url' }), /PUBLIC_URL/)
})
