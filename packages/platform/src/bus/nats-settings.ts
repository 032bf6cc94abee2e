import { type ConfigReader, configReader, type Env } from '../config.ts'

/**
 * How a client proves who it is to the NATS server: a user and password, a token, or a `.creds`
 * file (a user JWT and its NKEY seed, for a server run in operator mode); none for a server
 * without authentication.
 */
export type NatsAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'user'; readonly user: string; readonly password: string }
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'creds'; readonly creds: string }

/** Where NATS is and how to sign in: all that a tool needs to reach the services' server. */
export interface NatsServer {
  readonly servers: readonly string[]
  readonly auth: NatsAuth
}

/**
 * A service's bus settings: the server, its stream, on how many servers the stream keeps each event,
 * and how long an unacknowledged event waits.
 */
export interface NatsSettings extends NatsServer {
  readonly stream: string
  readonly replicas: number
  readonly ackWaitMs: number
}

/** The variables that name a way of signing in, as messages refer to them. */
export const NATS_AUTH_SETTINGS = 'NATS_USER and NATS_PASSWORD, NATS_TOKEN or NATS_CREDS_FILE'

/**
 * Reads the NATS settings (`NATS_URL`, `NATS_STREAM`, `JETSTREAM_REPLICAS`, `NATS_ACK_WAIT_MS` and
 * the credentials),
 * adding a problem to `read` for every contradiction: a user without a password (or the reverse),
 * two ways of signing in at once, credentials in the URL (which the client would silently ignore).
 * Every secret may come from `<NAME>_FILE`; `NATS_CREDS_FILE` names the `.creds` file itself.
 */
export function readNatsSettings(read: ConfigReader): NatsSettings {
  const servers = serverList(read)
  const stream = read.string('NATS_STREAM', 'CAFE')
  // How many servers of a cluster store each event before it is acknowledged (the stream's
  // num_replicas). 1 suits a single server; 3 survives losing any one node. JetStream takes 1 to 5.
  const replicas = read.int('JETSTREAM_REPLICAS', 1, { min: 1, max: 5 })
  // How long a message handed to a consumer that died waits before another one gets it.
  const ackWaitMs = read.int('NATS_ACK_WAIT_MS', 30_000, { min: 1000 })
  return { servers, stream, replicas, ackWaitMs, auth: readAuth(read) }
}

/** The settings of `env`, or a ConfigError naming every bad one. */
export function natsSettings(env: Env): NatsSettings {
  const read = configReader(env)
  const settings = readNatsSettings(read)
  read.done()
  return settings
}

function serverList(read: ConfigReader): string[] {
  const value = read.string('NATS_URL', 'nats://127.0.0.1:4222')
  const servers = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (servers.length === 0) read.refuse(`NATS_URL: "${value}" names no server`)
  for (const server of servers) {
    // The NATS client takes no credentials from a URL: said here, not as an authorization error later.
    const url = URL.canParse(server) ? new URL(server) : undefined
    if (url && (url.username || url.password)) {
      read.refuse(`NATS_URL: credentials in the URL are not used; set ${NATS_AUTH_SETTINGS} instead`)
    }
  }
  return servers
}

function readAuth(read: ConfigReader): NatsAuth {
  const user = read.optional('NATS_USER')
  const password = read.optional('NATS_PASSWORD')
  const token = read.optional('NATS_TOKEN')
  const creds = read.optional('NATS_CREDS')
  const given = [
    user !== undefined || password !== undefined ? 'NATS_USER/NATS_PASSWORD' : undefined,
    token !== undefined ? 'NATS_TOKEN' : undefined,
    creds !== undefined ? 'NATS_CREDS_FILE' : undefined,
  ].filter((name) => name !== undefined)
  if (given.length > 1) {
    read.refuse(`${given.join(' and ')}: set one way of signing in to NATS, not ${given.length}`)
    return { kind: 'none' }
  }
  if (user !== undefined && password === undefined) {
    read.refuse('NATS_USER: set without NATS_PASSWORD (or NATS_PASSWORD_FILE)')
  } else if (password !== undefined && user === undefined) {
    read.refuse('NATS_PASSWORD: set without NATS_USER')
  } else if (user !== undefined && password !== undefined) {
    return { kind: 'user', user, password }
  }
  if (token !== undefined) return { kind: 'token', token }
  if (creds !== undefined) {
    // A user JWT and a seed, each between dashed lines; a wrong file fails here, not at the server.
    const blocks = creds.match(/-{3,}[^\n]*-{3,}\s*\n\s*\S+\s*\n\s*-{3,}[^\n]*-{3,}/g) ?? []
    if (blocks.length < 2 || !/NKEY SEED/.test(creds)) {
      read.refuse(
        'NATS_CREDS_FILE: not a NATS credentials file (a user JWT and its NKEY seed, as nsc writes them)',
      )
    }
    return { kind: 'creds', creds }
  }
  return { kind: 'none' }
}
