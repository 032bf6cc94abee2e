import type { Outcome } from '../events/consumer.ts'
import type { CallPolicyState } from '../http/resilience.ts'
import { withTimeout } from '../timeout.ts'
import { perScrape, type ServiceMetrics } from './metrics.ts'

export interface ReliabilitySources {
  readonly backlog: () => Promise<{ count: number; oldestAgeMs: number }>
  readonly deadLetters: () => Promise<number>
  /** Outbox rows the bus kept refusing, set aside. */
  readonly outboxDeadLetters: () => Promise<number>
  /** The bus's view of this service's consumer; absent when it consumes nothing or cannot tell. */
  readonly lag?: () => Promise<number>
  /** Times the bus found its stream lost; absent for a bus that cannot lose it (see Bus.streamLosses). */
  readonly streamLosses?: () => number
}

export interface ReliabilityMetrics {
  /**
   * A delivery reached the consumer and ended so (`failed`, `transient`: it will be delivered
   * again; only `failed` counts towards the dead letters).
   */
  consumed(type: string, attempt: number, outcome: Outcome | 'failed' | 'transient'): void
  /** The relay had the bus store these events. */
  published(rows: readonly { readonly type: string }[]): void
}

// A scrape must answer even when the database or the broker does not: such a gauge is left out.
const SCRAPE_DEADLINE_MS = 1000
const within = <T>(work: Promise<T>) => withTimeout(work, SCRAPE_DEADLINE_MS, () => undefined)

/**
 * The reliability core's figures: outbox backlog and its age, dead letters and consumer lag are
 * read when scraped (queries, never on the hot path); deliveries and publishes are counted as
 * they happen, a labelled increment each.
 */
export function reliabilityMetrics(metrics: ServiceMetrics, sources: ReliabilitySources): ReliabilityMetrics {
  const backlog = perScrape(() => within(sources.backlog()))
  metrics.gauge({
    name: 'cafe_outbox_backlog',
    help: 'Events committed to the outbox and not yet stored by the bus',
    async collect() {
      this.reset()
      const value = await backlog().catch(() => undefined)
      if (value) this.set(value.count)
    },
  })
  metrics.gauge({
    name: 'cafe_outbox_oldest_age_seconds',
    help: 'Age of the oldest event waiting in the outbox; 0 when it is empty',
    async collect() {
      this.reset()
      const value = await backlog().catch(() => undefined)
      if (value) this.set(value.count === 0 ? 0 : value.oldestAgeMs / 1000)
    },
  })
  metrics.gauge({
    name: 'cafe_dead_letters',
    help: 'Events kept as dead letters (failed every attempt, or invalid), waiting for dlq replay or drop',
    async collect() {
      this.reset()
      const value = await within(sources.deadLetters()).catch(() => undefined)
      if (value !== undefined) this.set(value)
    },
  })
  metrics.gauge({
    name: 'cafe_outbox_dead_letters',
    help: 'Events the bus kept refusing, set aside from the outbox unpublished, waiting for dlq replay or drop',
    async collect() {
      this.reset()
      const value = await within(sources.outboxDeadLetters()).catch(() => undefined)
      if (value !== undefined) this.set(value)
    },
  })
  const { lag } = sources
  if (lag) {
    metrics.gauge({
      name: 'cafe_consumer_lag',
      help: "Events on the bus this service's consumer has not settled yet, waiting or in hand",
      async collect() {
        this.reset()
        const value = await within(lag()).catch(() => undefined)
        if (value !== undefined) this.set(value)
      },
    })
  }

  const { streamLosses } = sources
  if (streamLosses) {
    metrics.counter({
      name: 'cafe_bus_stream_lost_total',
      help: "Times this service found the broker's stream gone (deleted, or lost with a node's store): the events it held undelivered were lost; alert on any",
      collect() {
        this.reset()
        this.inc(streamLosses())
      },
    })
  }

  const handled = metrics.counter({
    name: 'cafe_events_consumed_total',
    help: 'Deliveries of events this service handles, by type and outcome (handled, duplicate, dead-lettered, failed, transient: a database or dependency fault, retried without end)',
    labelNames: ['type', 'outcome'],
  })
  const redeliveries = metrics.counter({
    name: 'cafe_event_redeliveries_total',
    help: 'Deliveries after the first of one event (attempt > 1): failures retried, or lost acks',
    labelNames: ['type'],
  })
  const published = metrics.counter({
    name: 'cafe_events_published_total',
    help: 'Events the outbox relay had the bus store, by type',
    labelNames: ['type'],
  })
  return {
    consumed(type, attempt, outcome) {
      if (outcome === 'ignored') return
      handled.inc({ type, outcome })
      if (attempt > 1) redeliveries.inc({ type })
    },
    published(rows) {
      for (const row of rows) published.inc({ type: row.type })
    },
  }
}

const STATES = ['closed', 'open', 'half-open', 'isolated'] as const
const breakers = new WeakMap<ServiceMetrics, Map<string, () => CallPolicyState>>()

/**
 * The circuit breaker of a synchronous call to `callee` (order → payment, order → point), read
 * from its policy when scraped.
 */
export function watchBreaker(metrics: ServiceMetrics, callee: string, state: () => CallPolicyState): void {
  const known = breakers.get(metrics)
  if (known) {
    known.set(callee, state)
    return
  }
  const watched = new Map([[callee, state]])
  breakers.set(metrics, watched)
  metrics.gauge({
    name: 'cafe_breaker_state',
    help: 'Circuit breaker of each synchronous callee: 1 for its current state, 0 for the others',
    labelNames: ['callee', 'state'],
    collect() {
      for (const [name, read] of watched) {
        const now = read().state
        for (const state of STATES) this.set({ callee: name, state }, state === now ? 1 : 0)
      }
    },
  })
  const count = (name: string, help: string, pick: (s: CallPolicyState) => number) =>
    metrics.counter({
      name,
      help,
      labelNames: ['callee'],
      collect() {
        this.reset()
        for (const [callee, read] of watched) this.inc({ callee }, pick(read()))
      },
    })
  count('cafe_breaker_calls_total', 'Attempts the breaker let through to the callee', (s) => s.calls)
  count(
    'cafe_breaker_failures_total',
    'Attempts that failed (error, timeout, 5xx; not 4xx)',
    (s) => s.failures,
  )
  count(
    'cafe_breaker_rejected_total',
    'Calls refused at once because the breaker was open',
    (s) => s.rejected,
  )
  count('cafe_breaker_opened_total', 'Times the breaker opened', (s) => s.opened)
}
