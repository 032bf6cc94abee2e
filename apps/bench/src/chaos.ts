import { setTimeout as sleep } from 'node:timers/promises'
import { defaultMenu } from '@cafeteria/contracts'
import type { Cluster, ServiceName } from './cluster.ts'

/**
 * Chaos over distributed mode: customers place orders (each with an Idempotency-Key, sent again
 * with the same key after any error or timeout), cancel some; a barista accepts and makes some;
 * and a killer SIGKILLs a random service process every few seconds and starts it again. What
 * everyone was told is recorded here, for `invariants.ts` to hold the system to once it is quiet.
 * Shared by `test/e2e/chaos.test.ts` (short) and `cafe bench --scenario chaos` (long).
 */

export const chaosVictims: readonly ServiceName[] = [
  'gateway',
  'order',
  'payment',
  'drink',
  'customercenter',
  'point',
]

export interface ChaosSettings {
  readonly durationMs: number
  /** Concurrent customers' sessions placing orders (each customer a phone of its own). */
  readonly clients: number
  /** Mean time between two kills; each is this ± half. */
  readonly killIntervalMs: number
  /** Every random choice comes from it: the same seed makes the same choices (timings aside). */
  readonly seed: number
  /** How long after the chaos an order or a cancel may still be retried before it counts as lost. */
  readonly resolveWithinMs: number
  /**
   * The clients go on past `durationMs` until this many orders were placed, up to six times as
   * long, and the killer until it made this many kills: a busy machine restarts and serves
   * slowly, and a run that exercised little proves little.
   */
  readonly atLeast?: { readonly orders: number; readonly kills: number }
}

/** Who calls, and how: a customer's headers (a session, or none in open mode), the barista's. */
export interface ChaosParty {
  readonly url: string
  readonly staff: Record<string, string>
  readonly customers: ReadonlyArray<{
    readonly phoneNumber: string
    readonly headers: Record<string, string>
  }>
}

/** A customer's wish to order one drink: one Idempotency-Key, however many attempts. */
export interface Intent {
  readonly key: string
  readonly phoneNumber: string
  readonly productName: string
  readonly qty: number
  readonly amt: number
  attempts: number
  /** The order a 201 named; undefined while the order may or may not have been placed. */
  orderId?: number
  /** Every id a 201 ever named for this key: more than one is a second order for one intent. */
  readonly answeredIds: number[]
  lastAnswer?: string
}

/** What the customer and the barista know of a placed order. */
export interface PlacedOrder {
  readonly id: number
  readonly key: string
  readonly phoneNumber: string
  readonly productName: string
  readonly qty: number
  readonly amt: number
  /** `asked`: a cancel was sent, no definite answer yet; `done`: 200; `refused`: 409. */
  cancel: 'none' | 'asked' | 'done' | 'refused'
  /** The barista was answered 200 to "Receipted": the drink was started, so it cannot be cancelled. */
  started: boolean
}

export interface Kill {
  readonly service: ServiceName
  /** Milliseconds since the chaos began. */
  readonly at: number
  /** Kill to ready again. */
  readyAfterMs?: number
}

export interface ChaosRecord {
  readonly settings: ChaosSettings
  readonly intents: Intent[]
  readonly orders: Map<number, PlacedOrder>
  readonly kills: Kill[]
  /** Answers nobody should get even under faults (a 4xx for a valid request, a failed restart). */
  readonly problems: string[]
  /** How often each answer came: `POST /orders 503`, `PATCH /drinks 409`, `POST /orders error`… */
  readonly answers: Record<string, number>
}

/** mulberry32: small, fast and good enough to pick services, drinks and pauses. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** One request; a network error or a timeout is an answer too (`error`), never an exception. */
async function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  json?: unknown,
): Promise<{ status: number | 'error'; body: any }> {
  try {
    const response = await fetch(url, {
      method,
      headers: { ...headers, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      // Longer than any answer a live system gives (a call waits 4.5 s at most), so only a lost one.
      signal: AbortSignal.timeout(15_000),
    })
    const text = await response.text()
    const body =
      (response.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : text
    return { status: response.status, body }
  } catch (error) {
    return { status: 'error', body: (error as Error).message }
  }
}

/** Runs the chaos for `settings.durationMs`, then lets every open order and cancel finish. */
export async function runChaos(
  cluster: Pick<Cluster, 'start' | 'stop'>,
  party: ChaosParty,
  settings: ChaosSettings,
  note: (line: string) => void = () => {},
): Promise<ChaosRecord> {
  const record: ChaosRecord = {
    settings,
    intents: [],
    orders: new Map(),
    kills: [],
    problems: [],
    answers: {},
  }
  const began = Date.now()
  const least = settings.atLeast ?? { orders: 0, kills: 0 }
  let giveUpAt = Number.POSITIVE_INFINITY
  const over = () => {
    if (giveUpAt !== Number.POSITIVE_INFINITY) return true
    const ran = Date.now() - began
    const enough = record.orders.size >= least.orders && record.kills.length >= least.kills
    if (ran < settings.durationMs || (!enough && ran < 6 * settings.durationMs)) return false
    giveUpAt = Date.now() + settings.resolveWithinMs
    return true
  }
  const count = (what: string) => {
    record.answers[what] = (record.answers[what] ?? 0) + 1
  }
  // Each actor draws from its own sequence, so one actor's choices do not depend on another's timing.
  const rngFor = (actor: number) => seededRandom(settings.seed * 1000 + actor)

  /** Sends `attempt` until it says it is done; false if still undone when the chaos is long over. */
  const untilDone = async (random: () => number, attempt: () => Promise<boolean>) => {
    for (let n = 0; ; n++) {
      if (await attempt()) return true
      if (Date.now() > giveUpAt) return false
      // Sooner than a Retry-After says: the point is to overlap with the faults.
      await sleep(Math.min(1000, 50 * 2 ** n) * (0.5 + random()))
    }
  }

  const place = async (intent: Intent, random: () => number, headers: Record<string, string>) => {
    const { phoneNumber, qty, amt, key } = intent
    const productId = defaultMenu.find((m) => m.name === intent.productName)?.id
    return untilDone(random, async () => {
      intent.attempts++
      const answer = await send(
        `${party.url}/orders`,
        'POST',
        { ...headers, 'idempotency-key': key },
        { phoneNumber, productId, qty, amt },
      )
      count(`POST /orders ${answer.status}`)
      intent.lastAnswer = `${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`
      if (answer.status === 201) {
        const id = Number(answer.body.id)
        if (!intent.answeredIds.includes(id)) intent.answeredIds.push(id)
        intent.orderId ??= id
        return true
      }
      // Not placed, or not known yet: the same key again. Anything else is not a fault's doing.
      if (answer.status === 'error' || answer.status === 409 || answer.status >= 500) return false
      record.problems.push(`POST /orders (key ${key}) answered ${intent.lastAnswer}`)
      return true
    })
  }

  const cancel = async (order: PlacedOrder, random: () => number, headers: Record<string, string>) => {
    order.cancel = 'asked'
    await untilDone(random, async () => {
      const answer = await send(`${party.url}/orders/${order.id}`, 'PATCH', headers, {
        status: 'OrderCanceled',
      })
      count(`PATCH /orders ${answer.status}`)
      if (answer.status === 200) order.cancel = 'done'
      else if (answer.status === 409) order.cancel = 'refused'
      else if (answer.status === 'error' || answer.status >= 500) return false
      else
        record.problems.push(
          `PATCH /orders/${order.id} answered ${answer.status} ${JSON.stringify(answer.body)}`,
        )
      return true
    })
  }

  const client = async (n: number) => {
    const random = rngFor(n + 1)
    const customer = party.customers[n % party.customers.length] as ChaosParty['customers'][number]
    const later: Promise<void>[] = []
    for (let i = 0; !over(); i++) {
      const item = defaultMenu[Math.floor(random() * defaultMenu.length)] as (typeof defaultMenu)[number]
      const qty = 1 + Math.floor(random() * 3)
      const intent: Intent = {
        key: `chaos-${settings.seed}-${n}-${i}`,
        phoneNumber: customer.phoneNumber,
        productName: item.name,
        qty,
        amt: item.price * qty,
        attempts: 0,
        answeredIds: [],
      }
      record.intents.push(intent)
      if (!(await place(intent, random, customer.headers)) || intent.orderId === undefined) continue
      const order: PlacedOrder = { ...intent, id: intent.orderId, cancel: 'none', started: false }
      record.orders.set(order.id, order)
      // About a quarter cancelled, after a pause in which the barista may start the drink.
      if (random() < 0.25) {
        const pause = random() * 1500
        later.push(sleep(pause).then(() => cancel(order, random, customer.headers)))
      }
      await sleep(100 + random() * 300)
    }
    await Promise.all(later)
  }

  const barista = async () => {
    const random = rngFor(0)
    const advance = async (from: string, to: string) => {
      const queue = await send(`${party.url}/drinks?status=${from}&size=50`, 'GET', party.staff)
      count(`GET /drinks ${queue.status}`)
      if (queue.status !== 200) return
      for (const drink of queue.body._embedded.drinks as Array<{ id: number; orderId: number }>) {
        if (random() >= 0.3) continue
        const answer = await send(`${party.url}/drinks/${drink.id}`, 'PATCH', party.staff, { status: to })
        count(`PATCH /drinks ${answer.status}`)
        const order = record.orders.get(drink.orderId)
        if (answer.status === 200 && to === 'Receipted' && order) order.started = true
      }
    }
    while (!over()) {
      await advance('PaymentApproved', 'Receipted')
      await advance('Receipted', 'Made')
      await sleep(200 + random() * 300)
    }
  }

  const killer = async () => {
    const random = rngFor(settings.clients + 1)
    const restarting = new Map<ServiceName, Promise<void>>()
    for (;;) {
      await sleep(settings.killIntervalMs * (0.5 + random()))
      // Past its time with its kills made, the killer rests: on a busy host the clients may
      // still need a while to place their share, and killing on meanwhile would only starve them.
      if (over() || (Date.now() - began >= settings.durationMs && record.kills.length >= least.kills)) break
      // Two services down at once is fault enough: on a busy host restarts take seconds, and
      // more at once would leave the system down most of the time, placing nothing.
      while (restarting.size >= MAX_DOWN) await Promise.race(restarting.values())
      // Another service may be starting (and die so); the same one is left to get ready first.
      const up = chaosVictims.filter((s) => !restarting.has(s))
      const service = up[Math.floor(random() * up.length)]
      if (!service) continue
      const kill: Kill = { service, at: Date.now() - began }
      record.kills.push(kill)
      await cluster.stop(service, 'SIGKILL')
      note(`chaos: ${service} killed at ${Math.round(kill.at / 100) / 10} s`)
      restarting.set(
        service,
        startAgain(cluster, service, record.problems).then(() => {
          kill.readyAfterMs = Date.now() - began - kill.at
          restarting.delete(service)
        }),
      )
    }
    await Promise.all(restarting.values())
  }

  note(
    `chaos: seed ${settings.seed}, ${settings.clients} clients, ${settings.durationMs / 1000} s, a kill every ~${settings.killIntervalMs / 1000} s`,
  )
  await Promise.all([killer(), barista(), ...Array.from({ length: settings.clients }, (_, n) => client(n))])
  return record
}

const MAX_DOWN = 2

/** Starts a killed service; a start that fails (exited, or not ready in time) is tried again. */
async function startAgain(
  cluster: Pick<Cluster, 'start' | 'stop'>,
  service: ServiceName,
  problems: string[],
) {
  for (let attempt = 1; ; attempt++) {
    try {
      await cluster.start(service)
      return
    } catch (error) {
      // A process too slow to get ready still holds its port.
      await cluster.stop(service, 'SIGKILL')
      if (attempt === 3) {
        problems.push(`${service} did not start again: ${(error as Error).message.slice(0, 2000)}`)
        return
      }
    }
  }
}
