import { setTimeout as sleep } from 'node:timers/promises'
import { progressLine } from './progress.ts'
import { type EventSubscription, subscribe } from './sse.ts'
import { percentile, round } from './stats.ts'

export interface VisibilityResult {
  readonly method: 'sse'
  readonly phones: number
  readonly targetRate: number
  readonly achievedRate: number
  readonly durationS: number
  readonly placed: number
  readonly errors: number
  /** Orders My Page showed within the settle time after the last one was placed. */
  readonly seen: number
  readonly unseen: number
  /** Orders My Page showed before their 201 reached the client; counted as 0 ms. */
  readonly beforeAnswer: number
  readonly p50: number | null
  readonly p99: number | null
  readonly max: number | null
}

interface MyPageView {
  readonly orders?: ReadonlyArray<{ readonly orderId?: unknown }>
}

/** Phone numbers no other scenario orders for, so each My Page holds only this scenario's orders. */
export const visibilityPhone = (i: number) => `0107000${String(i).padStart(4, '0')}`

/**
 * Order placed → visible on My Page. Orders go out at an even `rate` (open loop: the next one
 * does not wait for the last answer), spread over `phones` customers each watching their My Page
 * live (`/mypages/stream`) as a browser does. Latency runs from the moment an order's 201 is read
 * to the moment the first My Page event listing it arrives.
 */
export async function measureVisibility(
  url: string,
  options: { rate: number; durationS: number; phones?: number; settleMs?: number; label: string },
): Promise<VisibilityResult> {
  const { rate, durationS, label } = options
  const phones = options.phones ?? 20
  const settleMs = options.settleMs ?? 10_000
  const answeredAt = new Map<number, number>()
  const seenAt = new Map<number, number>()
  const onEvent = (data: string, receivedAt: number) => {
    const view = JSON.parse(data) as MyPageView
    for (const order of view.orders ?? []) {
      if (typeof order.orderId === 'number' && !seenAt.has(order.orderId))
        seenAt.set(order.orderId, receivedAt)
    }
  }
  const streams: EventSubscription[] = []
  try {
    for (let i = 0; i < phones; i++) {
      const stream = `${url}/mypages/stream?phoneNumber=${visibilityPhone(i)}`
      streams.push(
        await subscribe(stream, (event, at) => event.event === 'mypage' && onEvent(event.data, at)),
      )
    }
    let errors = 0
    let sent = 0
    const inFlight = new Set<Promise<void>>()
    const place = (phoneNumber: string) => {
      const request = postOrder(url, phoneNumber).then(
        (id) => {
          if (id === undefined) errors++
          else answeredAt.set(id, performance.now())
        },
        () => {
          errors++
        },
      )
      inFlight.add(request)
      void request.finally(() => inFlight.delete(request))
    }
    const progress = progressLine()
    const started = performance.now()
    for (let elapsed = 0; elapsed < durationS * 1000; elapsed = performance.now() - started) {
      const due = Math.floor((elapsed / 1000) * rate)
      for (; sent < due; sent++) place(visibilityPhone(sent % phones))
      progress.update(
        `${label}: ${(elapsed / 1000).toFixed(0)}/${durationS} s, ${sent} placed at ${rate}/s, ${seenAt.size} seen`,
      )
      await sleep(2)
    }
    const placingS = (performance.now() - started) / 1000
    await Promise.all(inFlight)
    const settleBy = performance.now() + settleMs
    while (performance.now() < settleBy && [...answeredAt.keys()].some((id) => !seenAt.has(id)))
      await sleep(20)
    const latencies: number[] = []
    let beforeAnswer = 0
    for (const [id, answered] of answeredAt) {
      const seen = seenAt.get(id)
      if (seen === undefined) continue
      if (seen < answered) beforeAnswer++
      latencies.push(Math.max(0, seen - answered))
    }
    const figure = (p: number) => {
      const value = percentile(latencies, p)
      return value === undefined ? null : round(value)
    }
    const result: VisibilityResult = {
      method: 'sse',
      phones,
      targetRate: rate,
      achievedRate: round(answeredAt.size / placingS),
      durationS: round(placingS, 2),
      placed: answeredAt.size,
      errors,
      seen: latencies.length,
      unseen: answeredAt.size - latencies.length,
      beforeAnswer,
      p50: figure(50),
      p99: figure(99),
      max: figure(100),
    }
    progress.done(
      `${label}: ${result.placed} placed at ${result.achievedRate}/s, ${result.seen} seen on My Page ` +
        `(p50 ${result.p50} ms, p99 ${result.p99} ms, max ${result.max} ms), ${errors} errors`,
    )
    return result
  } finally {
    for (const stream of streams) stream.close()
  }
}

/** The new order's id, or undefined when it was not created. */
async function postOrder(url: string, phoneNumber: string): Promise<number | undefined> {
  const response = await fetch(`${url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phoneNumber, productName: 'coffee', qty: 1, amt: 1000 }),
  })
  if (response.status !== 201) {
    await response.body?.cancel()
    return undefined
  }
  const id = ((await response.json()) as { id?: unknown }).id
  return typeof id === 'number' ? id : undefined
}
