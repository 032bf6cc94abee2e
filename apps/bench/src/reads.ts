import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import { cpuMeter, type PhaseCpu } from './cpu.ts'
import { statusCounts } from './load.ts'
import { note, progressLine } from './progress.ts'
import { round } from './stats.ts'
import { mapBounded } from './verify.ts'

/** Phone numbers with a few orders each, so every read finds something to show. */
export const readPhone = (i: number) => `0108000${String(i).padStart(4, '0')}`

export const readPaths = {
  myPage: (phone: string) => `/mypages/search/findByPhoneNumber?phoneNumber=${phone}`,
  pointHistory: (phone: string) =>
    `/pointHistories/search/findByPhoneNumberOrderByCreateTime?phoneNumber=${phone}`,
}

export interface ReadsResult {
  readonly phones: number
  readonly ordersPerPhone: number
  /** How long the seeded orders took to show on every My Page. */
  readonly seedVisibleMs: number
  readonly reqPerSec: number
  readonly completed: number
  readonly errors: number
  readonly statusCodes: Record<string, number>
  readonly p50: number
  readonly p99: number
  readonly durationS: number
  readonly cpu: PhaseCpu | undefined
}

/** Places the seed orders and waits until My Page shows every one of them. */
export async function seedReads(url: string, phones: number, ordersPerPhone: number, waitMs = 30_000) {
  const started = Date.now()
  const phoneNumbers = Array.from({ length: phones }, (_, i) => readPhone(i))
  const orders = phoneNumbers.flatMap((phone) => Array.from({ length: ordersPerPhone }, () => phone))
  await mapBounded(orders, 10, async (phoneNumber) => {
    const response = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phoneNumber, productName: 'latte', qty: 1, amt: 1500 }),
    })
    await response.body?.cancel()
    if (response.status !== 201) throw new Error(`seeding an order answered ${response.status}`)
  })
  let waiting = phoneNumbers
  while (waiting.length > 0) {
    const counts = await mapBounded(waiting, 10, async (phone) => {
      const response = await fetch(`${url}${readPaths.myPage(phone)}`)
      return response.ok ? ((await response.json()) as unknown[]).length : 0
    })
    waiting = waiting.filter((_, i) => (counts[i] ?? 0) < ordersPerPhone)
    if (waiting.length === 0) break
    if (Date.now() - started > waitMs)
      throw new Error(`${waiting.length} My Pages still lack their seeded orders after ${waitMs} ms`)
    await sleep(100)
  }
  return Date.now() - started
}

/**
 * Reads through the gateway: each connection alternates My Page and the point history, each
 * request for the next seeded phone number in turn.
 */
export async function runReads(
  url: string,
  options: {
    connections: number
    durationS: number
    phones: number
    systemPid: number | undefined
    label: string
  },
): Promise<Omit<ReadsResult, 'phones' | 'ordersPerPhone' | 'seedVisibleMs'>> {
  const { connections, durationS, phones, label } = options
  let turn = 0
  let completed = 0
  let failed = 0
  const count = (status: number) => {
    if (status >= 200 && status < 300) completed++
    else failed++
  }
  const request = (path: (phone: string) => string): autocannon.Request => ({
    method: 'GET',
    setupRequest: (req) => ({ ...req, path: path(readPhone(turn++ % phones)) }),
    onResponse: count,
  })
  const progress = progressLine()
  const started = Date.now()
  const ticker = setInterval(() => {
    const elapsed = (Date.now() - started) / 1000
    progress.update(
      `${label}: ${Math.min(elapsed, durationS).toFixed(0)}/${durationS} s, ${completed} ok ` +
        `(${Math.round(completed / Math.max(elapsed, 0.001))}/s), ${failed} failed`,
    )
  }, 250)
  const meter = cpuMeter(options.systemPid)
  try {
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url,
          connections,
          duration: durationS,
          requests: [request(readPaths.myPage), request(readPaths.pointHistory)],
        },
        (error: unknown, done: autocannon.Result) => (error ? reject(error) : resolve(done)),
      )
      instance.on('reqError', () => {
        failed++
      })
    })
    const cpu = meter.stop()
    const errors = result.non2xx + result.errors
    const reqPerSec = round(result['2xx'] / result.duration)
    progress.done(
      `${label}: ${result.duration} s, ${result['2xx']} ok (${reqPerSec}/s), ${errors} errors, ` +
        `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
    )
    return {
      reqPerSec,
      completed: result['2xx'],
      errors,
      statusCodes: statusCounts(result),
      p50: result.latency.p50,
      p99: result.latency.p99,
      durationS: result.duration,
      cpu,
    }
  } finally {
    clearInterval(ticker)
  }
}

export async function readsScenario(
  url: string,
  options: { connections: number; durationS: number; systemPid: number | undefined; label: string },
): Promise<ReadsResult> {
  const phones = 20
  const ordersPerPhone = 3
  note(`${options.label}: seeding ${phones * ordersPerPhone} orders on ${phones} phone numbers`)
  const seedVisibleMs = await seedReads(url, phones, ordersPerPhone)
  note(`${options.label}: every My Page showed its orders ${seedVisibleMs} ms after seeding began`)
  const reads = await runReads(url, { ...options, phones })
  return { phones, ordersPerPhone, seedVisibleMs, ...reads }
}
