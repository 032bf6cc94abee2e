import { setTimeout as sleep } from 'node:timers/promises'
import { guarded } from './cleanup.ts'
import { type LoadResult, runLoad } from './load.ts'
import { type MemoryPeak, memorySampler } from './memory.ts'
import type { Mode } from './options.ts'
import { note } from './progress.ts'
import { type SystemUnderTest, startSystem } from './system.ts'
import { type Verification, verifyOrders } from './verify.ts'

export const warmupS = 2
export const verifyConcurrency = 20
export const verifyWaitMs = 30_000

export interface Shutdown {
  readonly exitCode: number | null
  readonly shutdownMs: number
}

/** Starts `mode` with a fresh store, runs `work` on it, then stops it and removes what it made. */
export async function withSystem<T>(
  mode: Mode,
  work: (system: SystemUnderTest) => Promise<T>,
): Promise<{ result: T; shutdown: Shutdown }> {
  note(`${mode}: starting the system with a fresh store`)
  const starting = startSystem(mode)
  return guarded(
    () => stopOnceStarted(starting),
    async () => {
      const system = await starting
      let shutdown: Shutdown | undefined
      try {
        await waitReady(system.url)
        const result = await work(system)
        shutdown = await system.stop()
        note(`${mode}: stopped in ${shutdown.shutdownMs} ms (exit code ${shutdown.exitCode})`)
        return { result, shutdown }
      } finally {
        if (!shutdown) await system.stop()
      }
    },
  )
}

/**
 * On Ctrl-C while the system starts, it is stopped once up: until then the bench has no handle on
 * the process, and a start that fails removes what it made by itself.
 */
export async function stopOnceStarted(starting: Promise<SystemUnderTest>): Promise<void> {
  const system = await starting.catch(() => undefined)
  await system?.stop()
}

export interface OrdersPhase {
  readonly load: LoadResult
  readonly warmupOrders: number
  readonly verification: Verification
  /** The system's peak memory during the load, when asked for. */
  readonly memory: MemoryPeak | undefined
}

/** Warm-up, then POST /orders for the duration, then every order checked downstream. */
export async function ordersPhase(
  system: SystemUnderTest,
  mode: Mode,
  options: { connections: number; durationS: number; sampleMemory?: boolean },
): Promise<OrdersPhase> {
  const placed: number[] = []
  const keep = (id: number) => {
    placed.push(id)
  }
  const { connections } = options
  await runLoad({
    url: system.url,
    connections,
    durationS: warmupS,
    label: `${mode} warm-up`,
    onCreated: keep,
  })
  const warmupOrders = placed.length
  const sampler = options.sampleMemory && system.pid !== undefined ? memorySampler(system.pid) : undefined
  const load = await runLoad({
    url: system.url,
    connections,
    durationS: options.durationS,
    label: mode,
    onCreated: keep,
    systemPid: system.pid,
  })
  const memory = sampler?.stop()
  note(`${mode}: verifying ${placed.length} orders (payments and drink tickets)`)
  const verification = await verifyOrders(system.url, placed, load.stoppedAt, {
    concurrency: verifyConcurrency,
    waitMs: verifyWaitMs,
  })
  note(
    `${mode}: ${verification.missingPayments} missing payments, ${verification.missingTickets} missing tickets, ` +
      `last ticket ${verification.lastTicketAfterStopMs} ms after the load stopped`,
  )
  return { load, warmupOrders, verification, memory }
}

/** The gateway printed its address; ready means its upstream checks pass too. */
export async function waitReady(url: string, timeoutMs = 30_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/health/ready`)
      .then(async (r) => {
        await r.body?.cancel()
        return r.ok
      })
      .catch(() => false)
    if (ok) return
    await sleep(everyMs)
  }
  throw new Error(`the gateway at ${url} was not ready within ${timeoutMs} ms`)
}
