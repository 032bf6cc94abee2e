/**
 * The bus port. Both adapters (NATS JetStream and the in-process durable log) keep the same
 * contract, so services and tests cannot tell them apart:
 * - `publish` resolves only once every message is durably stored; a message whose id was
 *   published before is stored once (the outbox relay may publish a row twice after a crash).
 * - each named consumer sees every message at least once; replicas sharing a name share the work.
 * - a message is acknowledged only after `handle` resolves; when it rejects, the message comes
 *   back after `retryDelay(attempt)` with `attempt + 1`. The bus never gives up on a message:
 *   deciding when a failure becomes a dead letter is the consumer's business (see consumer.ts).
 */
export interface OutgoingMessage {
  readonly id: string
  readonly type: string
  readonly payload: string
  /** Transport headers such as W3C trace context. */
  readonly headers?: Readonly<Record<string, string>>
}

export interface BusMessage extends OutgoingMessage {
  /**
   * 1 on first delivery, then 2, 3, … on each redelivery. Best effort: after a crash a message
   * may come back counted from 1 again, so never rely on it for more than retry pacing.
   */
  readonly attempt: number
}

export interface ConsumeOptions {
  /** The message types this consumer handles; others are passed over without a delivery. */
  readonly types?: readonly string[]
  /** How many messages one consumer handles at once. */
  readonly concurrency?: number
  /** Delay before redelivering a message whose handler failed on this attempt. */
  readonly retryDelay?: (attempt: number) => number
}

export interface Subscription {
  /** Stops taking new messages and waits for the ones in hand to finish (and be acknowledged). */
  stop(): Promise<void>
}

export interface BusHealth {
  readonly ok: boolean
  readonly detail: string
}

/** Where a bus reports what it works around (a hung handler, a lock held too long); pino fits. */
export interface BusLogger {
  info(o: object, msg?: string): void
  warn(o: object, msg?: string): void
  error(o: object, msg?: string): void
}

export const silentBusLogger: BusLogger = { info() {}, warn() {}, error() {} }

/** Times the broker lost the bus's stream under it, each noticed by this bus (see jetstream-stream.ts). */
export interface StreamLosses {
  readonly stream: string
  readonly count: number
  /** When the last loss was noticed, ISO 8601. */
  readonly lastNoticedAt?: string
}

export interface Bus {
  readonly kind: 'jetstream' | 'local'
  /**
   * Stores every message or rejects; a rejection that knows which messages were stored and which
   * the bus will never take is a `PublishIncomplete`.
   */
  publish(messages: readonly OutgoingMessage[]): Promise<void>
  consume(
    consumer: string,
    handle: (message: BusMessage) => Promise<void>,
    options?: ConsumeOptions,
  ): Subscription
  health(): BusHealth
  /**
   * How many stored messages `consumer` has not settled yet, waiting or in hand: its lag, for
   * metrics. Optional: an adapter that cannot tell leaves it out.
   */
  lag?(consumer: string): Promise<number>
  /**
   * How often the stream vanished under this bus, events it held undelivered with it. Optional:
   * the in-process bus keeps its log in the service's own database, which cannot lose it alone.
   */
  streamLosses?(): StreamLosses
  close(): Promise<void>
}

/**
 * The bus will never store this message as it is (larger than the broker takes, a type no subject
 * can carry): unlike a broker that is away, trying again cannot help. The outbox relay sets such a
 * message aside after a few tries so the ones behind it flow.
 */
export class MessageRefused extends Error {
  readonly messageId: string
  constructor(messageId: string, reason: string, options?: { cause?: unknown }) {
    super(`refused: ${reason}`, options)
    this.name = 'MessageRefused'
    this.messageId = messageId
  }
}

/** Some messages of a publish were not stored: `errors` tells why, `MessageRefused` for those refused. */
export class PublishIncomplete extends AggregateError {
  /** The ids of the messages that were stored. */
  readonly stored: readonly string[]
  constructor(errors: readonly unknown[], stored: readonly string[], total: number) {
    super(errors, `${total - stored.length} of ${total} messages were not stored`)
    this.name = 'PublishIncomplete'
    this.stored = stored
  }
}

/**
 * Exponential backoff with equal jitter, capped: after the first failure between base/2 and base,
 * then doubling. The jitter keeps many failing consumers from retrying in lockstep.
 */
export const exponentialRetry =
  (baseMs = 200, maxMs = 30_000) =>
  (attempt: number): number => {
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
  }
