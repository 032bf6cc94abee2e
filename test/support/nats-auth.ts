import { randomBytes, randomUUID } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { nkeys } from '@nats-io/transport-node'

/** The ways a nats-server of a test's own can require clients to sign in. */
export type NatsAuthMode = 'user' | 'token' | 'creds'

/** The server's configuration for one mode, and the settings a client signs in with. */
export interface NatsAuthSetup {
  /** nats-server configuration text (address, port and store come from its command line). */
  readonly config: string
  /** The right credentials, as the services read them. */
  readonly env: Record<string, string>
}

/**
 * Fresh credentials for `mode`. For `creds` the server runs in operator mode, trusting an
 * operator made here; the account it signs may use JetStream, and the user's `.creds` file is
 * written into `dir` as nsc would write it.
 */
export async function natsAuthSetup(mode: NatsAuthMode, dir: string): Promise<NatsAuthSetup> {
  const secret = () => randomBytes(18).toString('base64url')
  switch (mode) {
    case 'user': {
      const env = { NATS_USER: 'cafe', NATS_PASSWORD: secret() }
      return { config: `authorization { user: cafe, password: "${env.NATS_PASSWORD}" }\n`, env }
    }
    case 'token': {
      const env = { NATS_TOKEN: secret() }
      return { config: `authorization { token: "${env.NATS_TOKEN}" }\n`, env }
    }
    case 'creds': {
      const { config, creds } = operatorMode()
      const file = join(dir, 'cafe.creds')
      await writeFile(file, creds, { mode: 0o600 })
      return { config, env: { NATS_CREDS_FILE: file } }
    }
  }
}

const unlimited = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
}

function operatorMode(): { config: string; creds: string } {
  const operator = nkeys.createOperator()
  const system = nkeys.createAccount()
  const account = nkeys.createAccount()
  const user = nkeys.createUser()
  const accountJwt = (key: nkeys.KeyPair, name: string, limits: object) =>
    signedJwt(operator, key.getPublicKey(), name, { type: 'account', limits: { ...unlimited, ...limits } })
  const jetStream = { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 }
  const userJwt = signedJwt(account, user.getPublicKey(), 'cafe', {
    type: 'user',
    subs: -1,
    data: -1,
    payload: -1,
  })
  const config = [
    `operator: ${signedJwt(operator, operator.getPublicKey(), 'test', { type: 'operator' })}`,
    // JetStream needs a system account in operator mode.
    `system_account: ${system.getPublicKey()}`,
    'resolver: MEMORY',
    'resolver_preload: {',
    `  ${system.getPublicKey()}: ${accountJwt(system, 'SYS', {})}`,
    `  ${account.getPublicKey()}: ${accountJwt(account, 'cafe', jetStream)}`,
    '}',
    '',
  ].join('\n')
  const seed = new TextDecoder().decode(user.getSeed())
  const creds = [
    '-----BEGIN NATS USER JWT-----',
    userJwt,
    '------END NATS USER JWT------',
    '',
    '-----BEGIN USER NKEY SEED-----',
    seed,
    '------END USER NKEY SEED------',
    '',
  ].join('\n')
  return { config, creds }
}

/** A NATS JWT (v2 claims) for `subject`, signed by `issuer`'s key. */
function signedJwt(issuer: nkeys.KeyPair, subject: string, name: string, nats: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const claims = {
    jti: randomUUID(),
    iat: Math.floor(Date.now() / 1000),
    iss: issuer.getPublicKey(),
    name,
    sub: subject,
    nats: { ...nats, version: 2 },
  }
  const body = `${part({ typ: 'JWT', alg: 'ed25519-nkey' })}.${part(claims)}`
  return `${body}.${Buffer.from(issuer.sign(Buffer.from(body))).toString('base64url')}`
}
