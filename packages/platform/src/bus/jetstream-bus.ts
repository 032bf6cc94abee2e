import type { ConsumerConfig, JetStreamManager, StreamConfig } from '@nats-io/jetstream'
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream'
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node'
import { InvalidArgumentError, nanos, headers as natsHeaders } from '@nats-io/transport-node'
import type { JetStreamBusOptions } from './jetstream.ts'
import { type Context, subscribe } from './jetstream-subscription.ts'
import { openNatsConnection } from './nats-connect.ts'
import {
  type Bus,
  type BusLogger,
  MessageRefused,
  type OutgoingMessage,
  PublishIncomplete,
  type Subscription,
  silentBusLogger,
} from './port.ts'

const PUBLISH_TIMEOUT_MS = 1500
/** JSStreamMessageExceedsMaximumErr: larger than the stream's max_msg_size. */
const MESSAGE_TOO_LARGE = 10054
const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000

export async function openJetStream(options: JetStreamBusOptions): Promise<Bus> {
  const { stream, ackWaitMs = 30_000, duplicateWindowMs = 120_000, logger = silentBusLogger } = options
  const servers = typeof options.servers === 'string' ? [options.servers] : options.servers
  const prefix = stream.toLowerCase()
  // The first connect fails fast so a wrong URL or refused credentials surface at boot; once up,
  // the client retries forever because the bus never gives up on a message and a service without
  // its bus is useless anyway.
  const nc = await openNatsConnection(
    { servers, auth: options.auth ?? { kind: 'none' } },
    { name: options.name, maxReconnectAttempts: -1, reconnectTimeWait: 1_000 },
  )
  try {
    const jsm = await jetstreamManager(nc)
    const ctx: Context = {
      nc,
      js: jetstream(nc),
      stream,
      prefix,
      ackWaitMs,
      logger,
      ensureStream: () => upsertStream(jsm, streamConfig(stream, prefix, duplicateWindowMs)),
      ensureConsumer: (name, concurrency) =>
        upsertConsumer(jsm, ctx, consumerConfig(name, prefix, ackWaitMs, concurrency)),
    }
    await ctx.ensureStream()
    return createBus(ctx, jsm)
  } catch (err) {
    await nc.close()
    throw err
  }
}

function streamConfig(name: string, prefix: string, duplicateWindowMs: number) {
  return {
    name,
    subjects: [`${prefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    duplicate_window: nanos(duplicateWindowMs),
    max_age: nanos(SEVEN_DAYS_MS),
  } satisfies Partial<StreamConfig>
}

function consumerConfig(name: string, prefix: string, ackWaitMs: number, concurrency: number) {
  return {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(ackWaitMs),
    max_deliver: -1,
    deliver_policy: DeliverPolicy.All,
    // Caps what one replica can hoard while its handlers are busy, so others sharing the name get work.
    max_ack_pending: concurrency * 4,
    filter_subject: `${prefix}.>`,
  } satisfies Partial<ConsumerConfig>
}

async function upsertStream(jsm: JetStreamManager, config: ReturnType<typeof streamConfig>): Promise<void> {
  try {
    // Adding an identical stream is a no-op on the server, so every replica can run this at boot.
    await jsm.streams.add(config)
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || err.code !== 10058) throw err
    // 10058: it exists with another config (say a new duplicate window); storage and retention are immutable.
    const { name, storage: _storage, retention: _retention, ...mutable } = config
    await jsm.streams.update(name, mutable)
  }
}

async function upsertConsumer(
  jsm: JetStreamManager,
  ctx: Context,
  config: ReturnType<typeof consumerConfig>,
): Promise<void> {
  try {
    // On 2.9 adding an existing durable updates its mutable fields, so this is create-or-update.
    await jsm.consumers.add(ctx.stream, config)
  } catch (err) {
    // The stream can vanish under a live bus (deleted, or a server that lost its store): recreate it.
    if (!(err instanceof JetStreamApiError) || err.code !== JetStreamApiCodes.StreamNotFound) throw err
    await ctx.ensureStream()
    await jsm.consumers.add(ctx.stream, config)
  }
}

function createBus(ctx: Context, jsm: JetStreamManager): Bus {
  const { nc, js, prefix, stream, logger } = ctx
  const subscriptions = new Set<Subscription>()
  let connected = true
  let closing: Promise<void> | undefined

  watchConnection(nc, logger, (up) => {
    connected = up
  }).catch(() => {})

  return {
    kind: 'jetstream',

    async publish(messages: readonly OutgoingMessage[]): Promise<void> {
      // allSettled, not all: the caller may only retry once no publish of this batch is still in flight.
      const results = await Promise.allSettled(
        messages.map(async (m) =>
          js.publish(subjectOf(prefix, m), m.payload, {
            msgID: m.id,
            headers: toNatsHeaders(m.headers),
            expect: { streamName: stream },
            // A publish sent as the server went away is lost with its socket; the relay retries it
            // (the stream dedupes by id), so waiting the client's default 5 s only delays every
            // later event behind it.
            timeout: PUBLISH_TIMEOUT_MS,
          }),
        ),
      )
      if (results.every((r) => r.status === 'fulfilled')) return
      const stored = messages.flatMap((m, i) => (results[i]?.status === 'fulfilled' ? [m.id] : []))
      const failures = results.flatMap((r, i) =>
        r.status === 'rejected' ? [asRefusal(r.reason, messages[i] as OutgoingMessage)] : [],
      )
      throw new PublishIncomplete(failures, stored, messages.length)
    },

    consume(consumer, handle, options) {
      if (closing) throw new Error('the bus is closed')
      const subscription = subscribe(ctx, consumer, handle, options)
      subscriptions.add(subscription)
      return {
        async stop() {
          await subscription.stop()
          subscriptions.delete(subscription)
        },
      }
    },

    health() {
      if (nc.isClosed()) return { ok: false, detail: 'nats connection closed' }
      if (nc.isDraining()) return { ok: false, detail: 'nats connection draining' }
      if (!connected) return { ok: false, detail: 'nats reconnecting' }
      return { ok: true, detail: `connected to ${nc.getServer()}` }
    },

    async lag(consumer) {
      const info = await jsm.consumers.info(stream, consumer)
      return info.num_pending + info.num_ack_pending
    },

    close() {
      closing ??= (async () => {
        await Promise.all([...subscriptions].map((s) => s.stop()))
        subscriptions.clear()
        // drain flushes the naks and acks still buffered in the client before the socket closes.
        await nc.drain().catch(() => nc.close())
      })()
      return closing
    },
  }
}

async function watchConnection(nc: NatsConnection, logger: BusLogger, setUp: (up: boolean) => void) {
  for await (const s of nc.status()) {
    switch (s.type) {
      case 'disconnect':
        setUp(false)
        logger.warn({ server: s.server }, 'nats disconnected')
        break
      case 'reconnect':
        setUp(true)
        logger.info({ server: s.server }, 'nats reconnected')
        break
      case 'error':
        logger.error({ err: s.error }, 'nats error')
        break
      case 'ldm':
      case 'staleConnection':
        logger.warn({ status: s.type }, 'nats connection degraded')
        break
      case 'slowConsumer':
        logger.warn({ subject: s.sub.getSubject(), pending: s.pending }, 'nats slow consumer')
        break
      // 'reconnecting' fires on every attempt and 'ping' on every keepalive: noise.
    }
  }
}

function subjectOf(prefix: string, message: OutgoingMessage): string {
  const { type } = message
  // A wildcard or blank in a type would publish to a subject no consumer filter can express.
  if (!type || /[\s*>]/.test(type) || type.startsWith('.') || type.endsWith('.')) {
    throw new MessageRefused(message.id, `invalid event type for a NATS subject: '${type}'`)
  }
  return `${prefix}.${type}`
}

/**
 * The failures that are the message's own, as MessageRefused: the client refuses a payload over
 * the server's max_payload (or bad headers) before sending, the stream one over its max_msg_size.
 * Anything else (a timeout, no responders, a lost connection) is the broker's and passes.
 */
function asRefusal(error: unknown, message: OutgoingMessage): unknown {
  if (error instanceof MessageRefused) return error
  const refused =
    error instanceof InvalidArgumentError ||
    (error instanceof JetStreamApiError && error.code === MESSAGE_TOO_LARGE)
  return refused ? new MessageRefused(message.id, (error as Error).message, { cause: error }) : error
}

function toNatsHeaders(source: Readonly<Record<string, string>> | undefined): MsgHdrs | undefined {
  const entries = Object.entries(source ?? {})
  if (entries.length === 0) return undefined
  const h = natsHeaders()
  for (const [key, value] of entries) h.set(key, value)
  return h
}
