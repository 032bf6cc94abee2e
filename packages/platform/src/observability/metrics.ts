import {
  Counter,
  type CounterConfiguration,
  collectDefaultMetrics,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  Registry,
} from 'prom-client'

export { Registry }

type Named<T> = Omit<T, 'registers'>

/**
 * A service's metrics, in a registry of its own: several services share a process (embedded
 * mode) or a worker thread, so prom-client's global registry would mix them. Every sample
 * carries `service="<name>"`. Metrics are made once and found again by name, so a route and an
 * event handler of one service may both ask for the same counter.
 */
export interface ServiceMetrics {
  readonly registry: Registry
  counter<L extends string = string>(config: Named<CounterConfiguration<L>>): Counter<L>
  /** A gauge, usually with `collect` computing its value when scraped, never on the hot path. */
  gauge<L extends string = string>(config: Named<GaugeConfiguration<L>>): Gauge<L>
  /** The Prometheus text of every metric. */
  scrape(): Promise<string>
  readonly contentType: string
}

export function createServiceMetrics(service: string): ServiceMetrics {
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  // Process figures (CPU, memory, event-loop delay, GC): in embedded mode every service of a
  // process reports the same ones, which is what a scrape of one of them should show anyway.
  collectDefaultMetrics({ register: registry })
  const find = <M>(name: string) => registry.getSingleMetric(name) as M | undefined
  return {
    registry,
    counter: (config) => find(config.name) ?? new Counter({ ...config, registers: [registry] }),
    gauge: (config) => find(config.name) ?? new Gauge({ ...config, registers: [registry] }),
    scrape: () => registry.metrics(),
    contentType: registry.contentType,
  }
}

/** Request durations by method, route pattern (never the raw URL: ids would explode it) and status. */
export interface HttpMetrics {
  observe(method: string, route: string, status: number, seconds: number): void
}

export function httpMetrics(metrics: ServiceMetrics): HttpMetrics {
  const histogram =
    (metrics.registry.getSingleMetric('http_request_duration_seconds') as Histogram | undefined) ??
    new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests served, by method, route pattern and status, and how long they took',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [metrics.registry],
    })
  return {
    observe: (method, route, status, seconds) => histogram.observe({ method, route, status }, seconds),
  }
}

/**
 * Runs `compute` at most once per scrape, for gauges that one query serves together (the outbox
 * backlog and its oldest row); prom-client collects every metric of a scrape concurrently.
 */
export function perScrape<T>(compute: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined
  return () => {
    pending ??= compute().finally(() => {
      pending = undefined
    })
    return pending
  }
}
