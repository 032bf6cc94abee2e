import type { NatsConnection } from '@nats-io/transport-node'
import type { NatsAuth, NatsServer } from './nats-settings.ts'
import type { Bus, BusLogger } from './port.ts'

export interface JetStreamBusOptions {
  /** One server or several (a cluster); see `readNatsSettings`. */
  servers: string | readonly string[]
  /** How to sign in; none when the server has no authentication. */
  auth?: NatsAuth
  /** Stream name, e.g. 'CAFE'; each event type is published on `${stream.toLowerCase()}.<type>`. */
  stream: string
  /** On how many servers the stream keeps each event (its num_replicas); 1 unless the cluster has more. */
  replicas?: number
  ackWaitMs?: number
  duplicateWindowMs?: number
  /** Client connection name, shown in the server's monitoring endpoints. */
  name?: string
  logger?: BusLogger
}

/**
 * The bus of distributed mode. The NATS client is loaded only here, when a service connects:
 * embedded mode never needs it, and loading it is part of every start.
 */
export async function connectJetStream(options: JetStreamBusOptions): Promise<Bus> {
  const { openJetStream } = await import('./jetstream-bus.ts')
  return openJetStream(options)
}

/**
 * A plain connection to the services' NATS, signed in as they are: for what works beside them
 * (tests, the bench) and must reach the same server with the same settings. Refused credentials
 * reject with a ConfigError.
 */
export async function connectNats(
  server: NatsServer,
  options: { name?: string } = {},
): Promise<NatsConnection> {
  const { openNatsConnection } = await import('./nats-connect.ts')
  return openNatsConnection(server, options)
}
