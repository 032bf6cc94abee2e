import autocannon from 'autocannon'
import { cpuMeter, type PhaseCpu } from './cpu.ts'
import { progressLine } from './progress.ts'

/** A valid order; the same bytes for the calibration server so the client does the same work. */
export const orderBody = JSON.stringify({
  phoneNumber: '01087654321',
  productName: 'coffee',
  qty: 2,
  amt: 1000,
})

export interface LoadOptions {
  readonly url: string
  readonly connections: number
  readonly durationS: number
  readonly label: string
  /** Called with the id of every order answered 201. */
  readonly onCreated?: (id: number) => void
  /** The system under test, whose CPU time is measured while the load runs. */
  readonly systemPid?: number | undefined
}

export interface LoadResult {
  /** 2xx answers. */
  readonly completed: number
  /** 201 answers whose body carried an order id. */
  readonly created: number
  /** non-2xx answers plus socket errors and timeouts. */
  readonly errors: number
  readonly statusCodes: Record<string, number>
  readonly p50: number
  readonly p99: number
  /** Seconds the load actually ran (autocannon's own clock). */
  readonly durationS: number
  /** The first failed answer's status and body (cut short), to tell why requests failed. */
  readonly firstFailure: string | undefined
  /** Wall-clock time the load stopped, to measure how far the event consumers lag behind. */
  readonly stoppedAt: number
  /** Where the CPU went meanwhile (see cpu.ts); undefined off Linux. */
  readonly cpu: PhaseCpu | undefined
}

/** Drives `POST /orders` at `url` with autocannon, showing progress while it runs. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { url, connections, durationS, label, onCreated, systemPid } = options
  let completed = 0
  let created = 0
  let failed = 0
  let firstFailure: string | undefined
  const request: autocannon.Request = {
    method: 'POST',
    path: '/orders',
    headers: { 'content-type': 'application/json' },
    body: orderBody,
    // autocannon 9 hands each request's whole body to its onResponse; the id is all we keep.
    onResponse: (status: number, body: string) => {
      if (status >= 200 && status < 300) completed++
      else {
        failed++
        firstFailure ??= `${status} ${body.slice(0, 300)}`
      }
      if (status !== 201 || !onCreated) return
      const id = idOf(body)
      if (id === undefined) return
      created++
      onCreated(id)
    },
  }
  const progress = progressLine()
  const started = Date.now()
  const show = () => {
    const elapsed = (Date.now() - started) / 1000
    const rate = elapsed > 0 ? Math.round(completed / elapsed) : 0
    progress.update(
      `${label}: ${Math.min(elapsed, durationS).toFixed(0)}/${durationS} s, ${completed} ok (${rate}/s), ${failed} failed`,
    )
  }
  const ticker = setInterval(show, 250)
  const meter = cpuMeter(systemPid)
  try {
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        { url, connections, duration: durationS, requests: [request] },
        (error: unknown, done: autocannon.Result) => (error ? reject(error) : resolve(done)),
      )
      // Socket errors and timeouts are counted in the result; without a listener they would be thrown.
      instance.on('reqError', () => {
        failed++
      })
    })
    const stoppedAt = Date.now()
    const cpu = meter.stop()
    const errors = result.non2xx + result.errors
    progress.done(
      `${label}: ${result.duration} s, ${completed} ok (${Math.round(completed / result.duration)}/s), ` +
        `${errors} errors, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms` +
        (cpu ? `, other processes used ${cpu.otherCores} cores` : ''),
    )
    return {
      completed: result['2xx'],
      created,
      errors,
      statusCodes: statusCounts(result),
      p50: result.latency.p50,
      p99: result.latency.p99,
      durationS: result.duration,
      firstFailure,
      stoppedAt,
      cpu,
    }
  } finally {
    clearInterval(ticker)
  }
}

function idOf(body: string): number | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id
    return typeof id === 'number' ? id : undefined
  } catch {
    return undefined
  }
}

/** Answers by status code, as `{ "201": 5923 }`. */
export const statusCounts = (result: autocannon.Result): Record<string, number> =>
  Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat?.count ?? 0]),
  )
