import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { ConfigError, type Env } from '../config.ts'
import { natsSettings } from './nats-settings.ts'

const CREDS = `-----BEGIN NATS USER JWT-----
eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.c2ln
------END NATS USER JWT------

-----BEGIN USER NKEY SEED-----
SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4
------END USER NKEY SEED------
`

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nats-settings-'))
})
after(() => rm(dir, { recursive: true, force: true }))

const file = async (name: string, text: string) => {
  const path = join(dir, name)
  await writeFile(path, text)
  return path
}

/** The problems a ConfigError lists, or [] when the settings are accepted. */
function problems(env: Env): readonly string[] {
  try {
    natsSettings(env)
    return []
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return error.problems
  }
}

test('without credentials the client signs in with none, to the local server by default', () => {
  assert.deepEqual(natsSettings({}), {
    servers: ['nats://127.0.0.1:4222'],
    stream: 'CAFE',
    replicas: 1,
    ackWaitMs: 30_000,
    auth: { kind: 'none' },
  })
})

test('NATS_URL may list the servers of a cluster', () => {
  const { servers } = natsSettings({ NATS_URL: 'nats://a:4222, nats://b:4222' })
  assert.deepEqual(servers, ['nats://a:4222', 'nats://b:4222'])
})

test('JETSTREAM_REPLICAS sets how many servers keep each event: 1 to 5', () => {
  assert.equal(natsSettings({ JETSTREAM_REPLICAS: '3' }).replicas, 3)
  for (const wrong of ['0', '6', 'three', '2.5', '-1']) {
    assert.deepEqual(problems({ JETSTREAM_REPLICAS: wrong }), [
      `JETSTREAM_REPLICAS: "${wrong}" is not a whole number between 1 and 5`,
    ])
  }
})

test('a user and a password, each from the variable or from a file', async () => {
  assert.deepEqual(natsSettings({ NATS_USER: 'cafe', NATS_PASSWORD: 'pw' }).auth, {
    kind: 'user',
    user: 'cafe',
    password: 'pw',
  })
  const env = {
    NATS_USER_FILE: await file('user', 'cafe\n'),
    NATS_PASSWORD_FILE: await file('password', 'from-a-secret\n'),
  }
  assert.deepEqual(natsSettings(env).auth, { kind: 'user', user: 'cafe', password: 'from-a-secret' })
})

test('a token, from the variable or from a file', async () => {
  assert.deepEqual(natsSettings({ NATS_TOKEN: 't0ken' }).auth, { kind: 'token', token: 't0ken' })
  const env = { NATS_TOKEN_FILE: await file('token', 't0ken\n') }
  assert.deepEqual(natsSettings(env).auth, { kind: 'token', token: 't0ken' })
})

test('a .creds file named by NATS_CREDS_FILE', async () => {
  const auth = natsSettings({ NATS_CREDS_FILE: await file('cafe.creds', CREDS) }).auth
  assert.equal(auth.kind, 'creds')
  assert.ok(auth.kind === 'creds' && auth.creds.includes('BEGIN USER NKEY SEED'))
})

test('half a user/password pair is refused, naming what is missing', () => {
  assert.deepEqual(problems({ NATS_USER: 'cafe' }), [
    'NATS_USER: set without NATS_PASSWORD (or NATS_PASSWORD_FILE)',
  ])
  assert.deepEqual(problems({ NATS_PASSWORD: 'pw' }), ['NATS_PASSWORD: set without NATS_USER'])
})

test('two ways of signing in at once are refused', async () => {
  assert.deepEqual(problems({ NATS_USER: 'cafe', NATS_PASSWORD: 'pw', NATS_TOKEN: 't' }), [
    'NATS_USER/NATS_PASSWORD and NATS_TOKEN: set one way of signing in to NATS, not 2',
  ])
  const creds = await file('both.creds', CREDS)
  assert.match(
    problems({ NATS_TOKEN: 't', NATS_CREDS_FILE: creds })[0] ?? '',
    /^NATS_TOKEN and NATS_CREDS_FILE: /,
  )
})

test('credentials inside NATS_URL are refused: the client would ignore them', () => {
  assert.match(
    problems({ NATS_URL: 'nats://cafe:pw@nats:4222' })[0] ?? '',
    /^NATS_URL: credentials in the URL/,
  )
})

test('a creds file that is not one, or cannot be read, is refused at start-up', async () => {
  const notCreds = await file('not.creds', 'user=cafe\npassword=pw\n')
  assert.match(
    problems({ NATS_CREDS_FILE: notCreds })[0] ?? '',
    /^NATS_CREDS_FILE: not a NATS credentials file/,
  )
  const missing = join(dir, 'missing.creds')
  assert.match(problems({ NATS_CREDS_FILE: missing })[0] ?? '', /^NATS_CREDS_FILE: cannot read /)
})

test('every bad setting is reported at once', () => {
  const found = problems({ NATS_USER: 'cafe', NATS_ACK_WAIT_MS: '5', NATS_URL: 'nats://u:p@h:1' })
  assert.equal(found.length, 3, found.join('\n'))
})
