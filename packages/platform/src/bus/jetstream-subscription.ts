import { setTimeout as sleep } from 'node:timers/promises'
import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import type { BusLogger, BusMessage, ConsumeOptions, Subscription } from './port.ts'
import { exponentialRetry } from './port.ts'

/** What a subscription needs from its bus; kept narrow so the subscription cannot close the connection. */
export interface Context {
  readonly nc: NatsConnection
  readonly js: JetStreamClient
  readonly stream: string
  readonly prefix: string
  readonly ackWaitMs: number
  readonly logger: BusLogger
  ensureConsumer(name: string, concurrency: number): Promise<void>
}

// The consume iterator reports these on every pull or idle period; logging them would bury real events.
const ROUTINE_STATUSES = new Set(['heartbeat', 'debug', 'discard', 'next', 'flow_control'])

function toBusMessage(m: JsMsg, prefix: string): BusMessage {
  const headers: Record<string, string> = {}
  for (const key of m.headers?.keys() ?? []) headers[key] = m.headers?.get(key) ?? ''
  return {
    id: headers['Nats-Msg-Id'] || String(m.info.streamSequence),
    type: m.subject.slice(prefix.length + 1),
    payload: m.string(),
    headers,
    attempt: m.info.deliveryCount,
  }
}

/** How many ack_waits a handler is kept alive by heartbeats before it is taken as hung. */
const HEARTBEAT_LIMIT = 10

/**
 * nats-server 2.9 mishandles a redelivery (ack_wait expiry or a delayed nak) that it routes to a pull
 * request whose subscriber is gone, as after stop() or a crash: it rewinds the consumer and delivers
 * the message again as new, with attempt 1, sometimes on top of the redelivery. Pull requests that
 * expire well within ack_wait leave no such orphan behind by the time an abandoned message is redelivered.
 */
const pullExpiresMs = (ackWaitMs: number) => Math.min(10_000, Math.max(1_000, Math.round(ackWaitMs / 3)))

/**
 * One competing consumer: a pump moves messages from the NATS consume iterator into `waiting`,
 * and up to `concurrency` handlers run from there. The pump itself never blocks, so the iterator
 * (which re-pulls as soon as messages arrive, not when they are handled) cannot stall; the server's
 * max_ack_pending bounds how much piles up in `waiting`.
 */
export function subscribe(
  ctx: Context,
  consumer: string,
  handle: (message: BusMessage) => Promise<void>,
  { concurrency = 64, retryDelay = exponentialRetry(), types }: ConsumeOptions = {},
): Subscription {
  const { nc, js, stream, prefix, ackWaitMs, logger } = ctx
  const log = { stream, consumer }
  const wanted = types && new Set(types)
  const waiting: JsMsg[] = []
  const inFlight = new Set<Promise<void>>()
  /** Messages whose handler is running, with when it started. */
  const running = new Map<JsMsg, number>()
  const stopped = new AbortController()
  let iterator: ConsumerMessages | undefined
  let stopping: Promise<void> | undefined
  const expires = pullExpiresMs(ackWaitMs)
  // Messages taken but never started go back at once for another replica, except that the redelivery
  // must wait out our own orphaned pull request (see pullExpiresMs).
  const handBack = (m: JsMsg) => settle(() => m.nak(expires + 500))

  const run = async (m: JsMsg) => {
    running.set(m, Date.now())
    try {
      await handleAndSettle(m)
    } finally {
      // Settled (or given up on): no more heartbeats, which would undo a nak's delay.
      running.delete(m)
    }
  }

  const handleAndSettle = async (m: JsMsg) => {
    const message = toBusMessage(m, prefix)
    try {
      await handle(message)
    } catch {
      // Reporting and dead-lettering failures is consumer.ts's job; the bus only schedules the retry.
      // If the nak is lost (connection down) the message still comes back, after ack_wait.
      settle(() => m.nak(retryDelay(message.attempt)))
      return
    }
    try {
      // ackAck rather than ack: it waits for the server to confirm, so when stop() resolves the acks
      // really were recorded and a draining replica cannot cause a redelivery. The extra round trip
      // costs latency per message, not throughput, since handlers run concurrently.
      await m.ackAck()
    } catch (err) {
      logger.warn({ ...log, err, id: message.id }, 'ack not confirmed; the message may be redelivered')
    }
  }

  const dispatch = () => {
    while (!stopped.signal.aborted && inFlight.size < concurrency && waiting.length > 0) {
      const m = waiting.shift() as JsMsg
      const task: Promise<void> = run(m)
        .catch((err) => logger.error({ ...log, err }, 'message could not be handled'))
        .finally(() => {
          inFlight.delete(task)
          dispatch()
        })
      inFlight.add(task)
    }
  }

  // Every ack_wait/3, working() resets the server's ack_wait timer of each message still in hand:
  // queued behind busy handlers, or with its handler still running. Without it a handler slower
  // than ack_wait would see its message redelivered to another replica while it still works on it.
  // A handler still unsettled after HEARTBEAT_LIMIT ack_waits is taken as hung: its heartbeats stop,
  // so the server hands the message to someone else and a hung handler cannot pin it forever.
  const heartbeatLimitMs = HEARTBEAT_LIMIT * ackWaitMs
  const keepAlive = setInterval(() => {
    for (const m of waiting) settle(() => m.working())
    const now = Date.now()
    for (const [m, startedAt] of running) {
      if (now - startedAt <= heartbeatLimitMs) settle(() => m.working())
      else if (now - startedAt - ackWaitMs / 3 < heartbeatLimitMs) {
        logger.warn(
          { ...log, id: m.headers?.get('Nats-Msg-Id') || String(m.info.streamSequence) },
          'handler still running past its heartbeat limit; letting the message be redelivered',
        )
      }
    }
  }, ackWaitMs / 3)
  keepAlive.unref()

  const pump = async () => {
    let failures = 0
    while (!stopped.signal.aborted && !nc.isClosed()) {
      try {
        await ctx.ensureConsumer(consumer, concurrency)
        const c = await js.consumers.get(stream, consumer)
        // abort_on_missing_resource ends the iterator if the consumer or stream disappears, so this
        // loop recreates them instead of the client polling for them forever.
        const it = await c.consume({
          max_messages: concurrency,
          expires,
          abort_on_missing_resource: true,
        })
        iterator = it
        watchConsumer(it, logger, log).catch(() => {})
        if (stopped.signal.aborted) void it.close()
        failures = 0
        for await (const m of it) {
          // Already buffered when stop() closed the iterator.
          if (stopped.signal.aborted) handBack(m)
          else if (wanted && !wanted.has(m.subject.slice(prefix.length + 1))) {
            // Not for this consumer: acknowledged unseen (2.9 filters on one subject only).
            settle(() => m.ack())
          } else {
            waiting.push(m)
            dispatch()
          }
        }
        // Reconnects are handled inside the iterator; it only ends on stop, close or a lost resource.
        const err = await it.closed()
        if (err && !stopped.signal.aborted) logger.warn({ ...log, err }, 'consume ended; restarting')
      } catch (err) {
        if (stopped.signal.aborted || nc.isClosed()) break
        logger.error({ ...log, err }, 'consume failed; retrying')
      }
      const backoff = Math.min(10_000, 250 * 2 ** failures++)
      await sleep(backoff, undefined, { signal: stopped.signal }).catch(() => {})
    }
  }
  const pumped = pump()

  return {
    stop() {
      stopping ??= (async () => {
        stopped.abort()
        for (const m of waiting.splice(0)) handBack(m)
        await iterator?.close()
        await pumped
        // Heartbeats go on while the handlers in flight drain, so one finishing within the drain is
        // acknowledged, not redelivered; those still running past it are left to ack_wait.
        await drainHandlers(inFlight, ackWaitMs, () =>
          logger.warn(
            { ...log, inFlight: inFlight.size },
            'handlers still running past ack_wait; not waiting',
          ),
        )
        clearInterval(keepAlive)
        // naks are fire-and-forget; flush so they have left before the caller closes the connection.
        if (!nc.isClosed()) await nc.flush().catch(() => {})
      })()
      return stopping
    },
  }
}

/**
 * Waits for in-flight handlers, but no longer than ack_wait: past it the server has already handed
 * their messages to someone else, so waiting protects nothing and a hung handler would block shutdown.
 */
async function drainHandlers(inFlight: Set<Promise<void>>, ackWaitMs: number, onTimeout: () => void) {
  if (inFlight.size === 0) return
  const timeout = new AbortController()
  const expired = sleep(ackWaitMs, true, { signal: timeout.signal }).catch(() => false)
  const finished = Promise.allSettled([...inFlight]).then(() => false)
  if (await Promise.race([finished, expired])) onTimeout()
  timeout.abort()
}

async function watchConsumer(it: ConsumerMessages, logger: BusLogger, log: object) {
  for await (const s of it.status()) {
    if (!ROUTINE_STATUSES.has(s.type)) logger.warn({ ...log, status: s }, `consumer ${s.type}`)
  }
}

/** Acks, naks and working() throw once the connection is closed; the server redelivers regardless. */
export function settle(send: () => void): void {
  try {
    send()
  } catch {
    // nothing to do: ack_wait brings the message back
  }
}
