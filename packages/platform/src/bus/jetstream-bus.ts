import type { ConsumerConfig, JetStreamManager } from '@nats-io/jetstream'
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream'
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node'
import { InvalidArgumentError, nanos, headers as natsHeaders } from '@nats-io/transport-node'
import type { JetStreamBusOptions } from './jetstream.ts'
import { streamConfig, streamKeeper } from './jetstream-stream.ts'
import { type Context, subscribe } from './jetstream-subscription.ts'
import { openNatsConnection } from './nats-connect.ts'
import {
  type Bus,
  type BusLogger,
  MessageRefused,
  type OutgoingMessage,
  PublishIncomplete,
  type StreamLosses,
  type Subscription,
  silentBusLogger,
} from './port.ts'

const PUBLISH_TIMEOUT_MS = 1500
/** JSStreamMessageExceedsMaximumErr: larger than the stream's max_msg_size. */
const MESSAGE_TOO_LARGE = 10054

export async function openJetStream(options: JetStreamBusOptions): Promise<Bus> {
  const {
    stream,
    replicas = 1,
    ackWaitMs = 30_000,
    duplicateWindowMs = 120_000,
    logger = silentBusLogger,
  } = options
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
    const keeper = streamKeeper(jsm, streamConfig(stream, prefix, duplicateWindowMs, replicas), logger)
    const ctx: Context = {
      nc,
      js: jetstream(nc),
      stream,
      prefix,
      ackWaitMs,
      logger,
      ensureConsumer: (name, concurrency) =>
        upsertConsumer(jsm, stream, keeper.verify, consumerConfig(name, prefix, ackWaitMs, concurrency)),
    }
    await keeper.ensure()
    return createBus(ctx, jsm, keeper)
  } catch (err) {
    await nc.close()
    throw err
  }
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

/**
 * Creates or updates the durable consumer; on 2.9 adding an existing durable updates its mutable
 * fields. The consumer is (re)made at start and whenever its iterator ended, as it does when the
 * stream vanished: the stream is checked first, so a loss is noticed even when another service
 * already recreated the stream (taking this durable with the old one).
 */
async function upsertConsumer(
  jsm: JetStreamManager,
  stream: string,
  verify: (noticed: 'consume') => Promise<void>,
  config: ReturnType<typeof consumerConfig>,
): Promise<void> {
  await verify('consume')
  try {
    await jsm.consumers.add(stream, config)
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || err.code !== JetStreamApiCodes.StreamNotFound) throw err
    // Lost between the check and the add.
    await verify('consume')
    await jsm.consumers.add(stream, config)
  }
}

interface StreamWatch {
  verify(noticed: 'publish'): Promise<void>
  losses(): StreamLosses
}

function createBus(ctx: Context, jsm: JetStreamManager, watch: StreamWatch): Bus {
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
      // No server answered for the subject: JetStream is away, or the stream is gone. The relay
      // retries the batch; checking first means a lost stream is reported and there again by then.
      if (results.some((r) => r.status === 'rejected' && noResponders(r.reason))) {
        await watch
          .verify('publish')
          .catch((err: unknown) => logger.warn({ stream, err }, 'could not check the stream'))
      }
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

    streamLosses: () => watch.losses(),

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

/** The client's answer when no server responds for a subject; the class is not exported, only named. */
const noResponders = (error: unknown) => error instanceof Error && error.name === 'JetStreamNotEnabled'

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
