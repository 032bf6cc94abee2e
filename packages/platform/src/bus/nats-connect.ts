import {
  AuthorizationError,
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  type NatsConnection,
  UserAuthenticationExpiredError,
} from '@nats-io/transport-node'
import { ConfigError } from '../config.ts'
import { NATS_AUTH_SETTINGS, type NatsAuth, type NatsServer } from './nats-settings.ts'

/**
 * Connects to NATS as the settings say, signing in with their credentials. A server that refuses
 * them answers at once, and that answer becomes a ConfigError naming the settings to fix: wrong or
 * missing credentials stop a service at start-up with one clear line, never a retry loop.
 */
export async function openNatsConnection(
  server: NatsServer,
  options: Omit<ConnectionOptions, 'servers' | 'user' | 'pass' | 'token' | 'authenticator'> = {},
): Promise<NatsConnection> {
  try {
    return await connect({ ...options, servers: [...server.servers], ...signIn(server.auth) })
  } catch (error) {
    if (error instanceof AuthorizationError || error instanceof UserAuthenticationExpiredError) {
      throw new ConfigError([refusal(server, error.message)])
    }
    throw error
  }
}

function signIn(auth: NatsAuth): Partial<ConnectionOptions> {
  switch (auth.kind) {
    case 'none':
      return {}
    case 'user':
      return { user: auth.user, pass: auth.password }
    case 'token':
      return { token: auth.token }
    case 'creds':
      // The client's parser wants the line break after the last block, which reading trimmed off.
      return { authenticator: credsAuthenticator(new TextEncoder().encode(`${auth.creds}\n`)) }
    default: {
      const exhaustive: never = auth
      throw new Error(`unknown NATS sign-in ${JSON.stringify(exhaustive)}`)
    }
  }
}

function refusal(server: NatsServer, answer: string): string {
  const where = `NATS at ${server.servers.join(', ')}`
  switch (server.auth.kind) {
    case 'none':
      return `${where} requires credentials (${answer}): set ${NATS_AUTH_SETTINGS}`
    case 'user':
      return `NATS_USER/NATS_PASSWORD: ${where} refused user "${server.auth.user}" (${answer})`
    case 'token':
      return `NATS_TOKEN: ${where} refused the token (${answer})`
    case 'creds':
      return `NATS_CREDS_FILE: ${where} refused the credentials (${answer})`
  }
}
