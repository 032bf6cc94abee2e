import type { BusLogger } from './jetstream-subscription.ts'
import type { Bus } from './port.ts'

export interface JetStreamBusOptions {
  servers: string
  /** Stream name, e.g. 'CAFE'; each event type is published on `${stream.toLowerCase()}.<type>`. */
  stream: string
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
