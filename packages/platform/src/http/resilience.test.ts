import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, beforeEach, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { ConfigError, configReader } from '../config.ts'
import { createHttpClient, UpstreamUnavailable } from './client.ts'
import {
  type CallPolicySettings,
  callPolicySettings,
  createCallPolicy,
  longestCallMs,
  ORIGINAL_CALL_POLICY,
} from './resilience.ts'

// A callee whose every answer the test decides, and which counts the requests that reached it.
let behave: (request: IncomingMessage, response: ServerResponse) => void
let hits = 0
const timers = new Set<NodeJS.Timeout>()
const server = createServer((request, response) => {
  hits++
  behave(request, response)
})
let baseUrl: string

const answer = (status: number) => (_request: IncomingMessage, response: ServerResponse) => {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status }))
}
const slow = (ms: number) => (_request: IncomingMessage, response: ServerResponse) => {
  const timer = setTimeout(() => response.writeHead(200).end('{}'), ms)
  timers.add(timer)
}
/** Answers with these statuses in turn, then with the last one. */
const sequence = (...statuses: number[]) => {
  let next = 0
  return (request: IncomingMessage, response: ServerResponse) =>
    answer(statuses[Math.min(next++, statuses.length - 1)] ?? 200)(request, response)
}

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(async () => {
  for (const timer of timers) clearTimeout(timer)
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})
beforeEach(() => {
  hits = 0
  behave = answer(200)
})

// Small numbers so a test takes a fraction of a second: judged after 5 calls in 1 s.
const small: CallPolicySettings = {
  timeoutMs: 610,
  budgetMs: 1500,
  retries: 1,
  minimumCalls: 5,
  windowMs: 1000,
  failureRatio: 0.3,
  halfOpenAfterMs: 300,
  maxConcurrent: 32,
  queue: 1000,
  queueWaitMs: 1000,
}

function setUp(
  t: { after: (fn: () => Promise<void>) => void },
  settings: Partial<CallPolicySettings> = {},
  url = baseUrl,
) {
  const logs: Array<{ level: string; msg: string; upstream?: string; breaker?: string }> = []
  const log = pino(
    { formatters: { level: (label) => ({ level: label }) } },
    { write: (line: string) => logs.push(JSON.parse(line)) },
  )
  const policy = createCallPolicy({ name: 'callee', log, ...small, ...settings })
  const client = createHttpClient({ name: 'callee', baseUrl: url, policy })
  t.after(() => client.close())
  return { policy, client, logs }
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T | unknown }> {
  const start = performance.now()
  const result = await work().catch((error: unknown) => error)
  return { ms: performance.now() - start, result }
}

const unavailable = (reason: string) => (error: unknown) =>
  error instanceof UpstreamUnavailable && error.upstream === 'callee' && error.reason === reason

describe('call policy', () => {
  test('an attempt that outlasts its deadline fails at its 610 ms deadline, and the breaker counts it', async (t) => {
    const { client, policy } = setUp(t, { minimumCalls: 2 })
    behave = slow(5000)
    const calls = await Promise.all([1, 2].map(() => timed(() => client.send('POST', '/pay', {}))))
    for (const { ms, result } of calls) {
      assert.ok(unavailable('timeout')(result), String(result))
      // Not before the deadline, and without waiting for the callee's answer however busy the machine.
      assert.ok(ms >= 600 && ms < 5000, `${ms} ms`)
    }
    assert.equal(policy.state().state, 'open')
    assert.equal(policy.state().failures, 2)
  })

  test('opens after the minimum number of calls with enough failures; then fails at once without calling; a probe that succeeds closes it', async (t) => {
    const { client, policy, logs } = setUp(t, { retries: 2 })
    behave = answer(500)
    for (let i = 1; i <= 4; i++) {
      assert.equal((await client.send('POST', '/pay', {})).status, 500)
      assert.equal(policy.state().state, 'closed', `judged after only ${i} calls`)
    }
    const beforeOpening = Date.now()
    assert.equal((await client.send('POST', '/pay', {})).status, 500)
    assert.equal(policy.state().state, 'open')
    assert.equal(hits, 5)

    // "At once" is what the callee sees: no request reaches it, so no deadline can be waited for.
    for (let i = 0; i < 10; i++) {
      const result = await client.send('POST', '/pay', {}, { idempotent: true }).catch((e: unknown) => e)
      assert.ok(unavailable('open')(result), String(result))
    }
    assert.equal(hits, 5, 'an open breaker neither calls nor retries')
    const open = policy.state()
    assert.equal(open.calls, 5)
    assert.equal(open.failures, 5)
    assert.equal(open.rejected, 10)
    assert.equal(open.opened, 1)
    const openedAt = Date.parse(open.lastOpenedAt ?? '')
    assert.ok(openedAt >= beforeOpening && openedAt <= Date.now(), `opened at ${open.lastOpenedAt}`)
    assert.match(open.lastFailure ?? '', /answered 500/)
    const opened = logs.find((l) => l.breaker === 'open')
    assert.equal(opened?.level, 'warn')
    assert.equal(opened?.upstream, 'callee')

    behave = answer(201)
    await sleep(350)
    assert.equal((await client.send('POST', '/pay', {})).status, 201)
    assert.equal(policy.state().state, 'closed')
    assert.deepEqual(
      logs.filter((l) => l.breaker !== 'open').map((l) => [l.level, l.breaker]),
      [
        ['info', 'half-open'],
        ['info', 'closed'],
      ],
    )
  })

  test('opens at 30% failures, not below', async (t) => {
    const { client, policy } = setUp(t, { retries: 0 })
    behave = sequence(201, 201, 201, 201, 201, 201, 201, 500, 500, 500)
    for (let i = 0; i < 9; i++) await client.send('POST', '/pay', {})
    assert.equal(policy.state().state, 'closed', '2 failures in 9 calls')
    await client.send('POST', '/pay', {})
    assert.equal(policy.state().state, 'open', '3 failures in 10 calls')
  })

  test('a 4xx answer is the callee’s decision, not a failure: never retried, never opens the breaker', async (t) => {
    const { client, policy } = setUp(t)
    behave = answer(409)
    for (let i = 0; i < 10; i++)
      assert.equal((await client.send('PATCH', '/deduct', {}, { idempotent: true })).status, 409)
    assert.equal(hits, 10)
    assert.deepEqual([policy.state().state, policy.state().failures], ['closed', 0])
  })

  test('retries only calls the caller marks idempotent', async (t) => {
    const { client } = setUp(t)
    behave = sequence(503, 201)
    assert.equal((await client.send('POST', '/pay', {}, { idempotent: true })).status, 201)
    assert.equal(hits, 2)

    hits = 0
    behave = sequence(503, 201)
    assert.equal((await client.send('POST', '/pay', {})).status, 503)
    assert.equal(hits, 1)
  })

  test('never retries past the budget: attempts and backoff all end within it', async (t) => {
    const { client } = setUp(t, { timeoutMs: 300, budgetMs: 500, retries: 10, minimumCalls: 100 })
    behave = slow(5000)
    const { ms, result } = await timed(() => client.send('POST', '/pay', {}, { idempotent: true }))
    assert.ok(unavailable('timeout')(result), String(result))
    // Without the budget the eleven attempts would take over 3.3 s; the margin is for a busy machine.
    assert.ok(ms >= 450 && ms < 2500, `${ms} ms`)
    assert.ok(hits >= 1 && hits <= 2, `${hits} attempts`)
  })

  test('an attempt never lasts longer than the budget left', async (t) => {
    const { client } = setUp(t, { timeoutMs: 3000, budgetMs: 200 })
    behave = slow(5000)
    const { ms, result } = await timed(() => client.send('POST', '/pay', {}, { idempotent: true }))
    assert.ok(unavailable('timeout')(result), String(result))
    // Cut at the budget's 200 ms, far from the attempt's own 3 s deadline.
    assert.ok(ms >= 190 && ms < 1500, `${ms} ms`)
    assert.equal(hits, 1)
  })
})

describe('bulkhead', () => {
  test('Given a slow callee, when more calls come than may be in flight, then the rest wait their turn without their budget running, and all answer', async (t) => {
    let inFlight = 0
    let most = 0
    behave = (_request, response) => {
      most = Math.max(most, ++inFlight)
      const timer = setTimeout(() => {
        inFlight--
        response.writeHead(200).end('{}')
      }, 150)
      timers.add(timer)
    }
    // Twenty calls of 150 ms, two at a time, take 1.5 s: more than one attempt's 1 s deadline,
    // which counts only once a call has its turn (the queue wait, not the budget, bounds the wait).
    const settings = { maxConcurrent: 2, timeoutMs: 1000, budgetMs: 1000, queueWaitMs: 5000 }
    const { client, policy } = setUp(t, settings)
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.send('GET', '/')))
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(20).fill(200),
    )
    assert.equal(most, 2)
    assert.equal(policy.state().failures, 0)
  })

  test('Given a full queue, when one more call comes, then it fails at once as busy without reaching the callee', async (t) => {
    behave = slow(200)
    const { client } = setUp(t, { maxConcurrent: 1, queue: 1 })
    let firstAnswered = false
    const first = client.send('GET', '/').then(() => {
      firstAnswered = true
    })
    const second = client.send('GET', '/')
    const third = await client.send('GET', '/').catch((error: unknown) => error)
    assert.ok(third instanceof UpstreamUnavailable && third.reason === 'busy', String(third))
    assert.equal(third.maybeSent, false)
    assert.equal(firstAnswered, false, 'refused while the first call was still in flight')
    await Promise.all([first, second])
    assert.equal(hits, 2, 'the refused call never reached the callee')
  })

  test('Given a slot that does not come free within the queue wait, when a call waits for it, then it fails as busy, unsent, while the call ahead is still in flight', async (t) => {
    behave = slow(5000)
    const { client } = setUp(t, {
      maxConcurrent: 1,
      queue: 10,
      queueWaitMs: 100,
      timeoutMs: 2000,
      budgetMs: 2000,
    })
    let firstAnswered = false
    // Ends when its 2 s deadline passes: the slot stays taken twenty times longer than the wait.
    const first = client
      .send('GET', '/')
      .catch(() => undefined)
      .finally(() => {
        firstAnswered = true
      })
    const { ms, result } = await timed(() => client.send('GET', '/'))
    assert.ok(unavailable('busy')(result), String(result))
    assert.equal((result as UpstreamUnavailable).maybeSent, false)
    assert.ok(ms >= 90, `failed after ${ms} ms, before its wait was over`)
    assert.equal(firstAnswered, false, 'failed without waiting for the slot')
    await first
    assert.equal(hits, 1, 'the call that waited too long never reached the callee')
  })

  test('a call that got its turn in time is not cut short by the queue wait', async (t) => {
    // The second call waits 1 s for the slot, within its 2 s queue wait, then takes 2 s more: it
    // ends past the queue wait, which bounds only the wait. A second each way for a busy machine.
    let calls = 0
    behave = (request, response) => slow(++calls === 1 ? 1000 : 2000)(request, response)
    const { client } = setUp(t, { maxConcurrent: 1, queueWaitMs: 2000, timeoutMs: 3000, budgetMs: 3000 })
    const answers = await Promise.all([1, 2].map(() => client.send('GET', '/')))
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200],
    )
  })
})

describe('whether a failed call may have reached the callee', () => {
  const refusedUrl = async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise((resolve) => closed.close(resolve))
    return `http://127.0.0.1:${port}`
  }

  test('no connection could be made for any attempt: certainly not sent', async (t) => {
    const { client } = setUp(t, {}, await refusedUrl())
    const result = await client.send('POST', '/deduct', {}, { idempotent: true }).catch((e: unknown) => e)
    assert.ok(unavailable('failed')(result), String(result))
    assert.equal((result as UpstreamUnavailable).maybeSent, false)
  })

  test('refused by an open breaker: not sent; after an attempt that connected: maybe sent', async (t) => {
    const { client, policy } = setUp(t, { minimumCalls: 1, retries: 0, timeoutMs: 100, budgetMs: 100 })
    behave = slow(1000)
    const timedOut = await client.send('POST', '/deduct', {}).catch((e: unknown) => e)
    assert.ok(unavailable('timeout')(timedOut), String(timedOut))
    assert.equal((timedOut as UpstreamUnavailable).maybeSent, true, 'it may have been carried out')
    assert.equal(policy.state().state, 'open')
    const refused = await client.send('POST', '/deduct', {}).catch((e: unknown) => e)
    assert.ok(unavailable('open')(refused), String(refused))
    assert.equal((refused as UpstreamUnavailable).maybeSent, false)
  })

  test('a retry refused by the breaker: maybe sent if the first attempt connected, not if it could not', async (t) => {
    behave = slow(1000)
    const reached = setUp(t, { minimumCalls: 1, timeoutMs: 100, budgetMs: 1000 })
    const afterTimeout = await reached.client
      .send('POST', '/deduct', {}, { idempotent: true })
      .catch((e: unknown) => e)
    assert.ok(unavailable('open')(afterTimeout), String(afterTimeout))
    assert.equal((afterTimeout as UpstreamUnavailable).maybeSent, true)
    assert.equal(hits, 1)

    const never = setUp(t, { minimumCalls: 1, budgetMs: 1000 }, await refusedUrl())
    const afterRefusal = await never.client
      .send('POST', '/deduct', {}, { idempotent: true })
      .catch((e: unknown) => e)
    assert.ok(unavailable('open')(afterRefusal), String(afterRefusal))
    assert.equal((afterRefusal as UpstreamUnavailable).maybeSent, false)
  })
})

describe('call policy settings', () => {
  test('default to the original’s values', () => {
    assert.deepEqual(callPolicySettings(configReader({}), 'PAYMENT'), ORIGINAL_CALL_POLICY)
  })

  test('the longest call: the queue wait, then the budget, or one attempt’s deadline without retries', () => {
    assert.equal(longestCallMs(ORIGINAL_CALL_POLICY), 3000 + 1500)
    assert.equal(longestCallMs({ ...ORIGINAL_CALL_POLICY, retries: 0 }), 3000 + 610)
    assert.equal(longestCallMs({ ...ORIGINAL_CALL_POLICY, retries: 0, budgetMs: 300 }), 3000 + 300)
  })

  test('come from <PREFIX>_* variables; a bad value is named at start-up', () => {
    const read = configReader({
      POINT_TIMEOUT_MS: '200',
      POINT_BUDGET_MS: '900',
      POINT_RETRIES: '2',
      POINT_BREAKER_MIN_CALLS: '5',
      POINT_BREAKER_WINDOW_MS: '2000',
      POINT_BREAKER_FAILURE_RATIO: '0.5',
      POINT_BREAKER_HALF_OPEN_MS: '1000',
      POINT_MAX_CONCURRENT: '8',
      POINT_QUEUE: '100',
      POINT_QUEUE_WAIT_MS: '250',
    })
    assert.deepEqual(callPolicySettings(read, 'POINT'), {
      timeoutMs: 200,
      budgetMs: 900,
      retries: 2,
      minimumCalls: 5,
      windowMs: 2000,
      failureRatio: 0.5,
      halfOpenAfterMs: 1000,
      maxConcurrent: 8,
      queue: 100,
      queueWaitMs: 250,
    })
    const bad = configReader({ PAYMENT_BREAKER_FAILURE_RATIO: '30%', PAYMENT_RETRIES: '-1' })
    callPolicySettings(bad, 'PAYMENT')
    assert.throws(
      () => bad.done(),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((p) => p.startsWith('PAYMENT_BREAKER_FAILURE_RATIO')) &&
        error.problems.some((p) => p.startsWith('PAYMENT_RETRIES')),
    )
  })
})
