import assert from 'node:assert/strict'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { test } from 'node:test'
import { Worker } from 'node:worker_threads'
import { tempDir, waitFor } from '../testing/index.ts'
import { openLocalBus } from './local.ts'

test('Given messages a consumer holds or has not reached, when asked for its lag, then it counts them, and none once it has settled them', async () => {
  await using dir = await tempDir('cafe-lag-')
  const bus = openLocalBus({ path: join(dir.path, 'bus.db') })
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => {
    release = resolve
  })
  const seen: string[] = []
  const subscription = bus.consume(
    'drink',
    async (m) => {
      seen.push(m.id)
      await held
    },
    { types: ['Ordered'] },
  )
  await bus.publish([
    { id: 'a', type: 'Ordered', payload: '{}' },
    { id: 'b', type: 'Ordered', payload: '{}' },
    { id: 'c', type: 'PointsAccrued', payload: '{}' },
  ])
  await waitFor(() => seen.length === 2)
  assert.equal(await bus.lag?.('drink'), 2, 'two in hand; the other type is not its to take')
  release()
  await waitFor(async () => (await bus.lag?.('drink')) === 0, 5000, { what: 'the lag to drop to 0' })
  await subscription.stop()
  await bus.close()
})

test('Given a backlog that handlers settle without real I/O, when a consumer works it off, then the event loop turns between its batches', async () => {
  await using dir = await tempDir('cafe-turns-')
  const bus = openLocalBus({ path: join(dir.path, 'bus.db') })
  const messages = Array.from({ length: 200 }, (_, i) => ({ id: `m${i}`, type: 'Ordered', payload: '{}' }))
  await bus.publish(messages)
  let handled = 0
  let handledAtFirstTurn: number | undefined
  // A handler on SQLite resolves as a microtask; so does this one. A request arriving meanwhile
  // is served in a later turn of the event loop, like this immediate.
  const subscription = bus.consume(
    'drink',
    async () => {
      handled++
      if (handled === 1) setImmediate(() => (handledAtFirstTurn = handled))
    },
    { concurrency: 10 },
  )
  await waitFor(() => handled === 200, 5000, { what: 'the backlog to be worked off' })
  assert.ok(
    handledAtFirstTurn !== undefined && handledAtFirstTurn < 200,
    `a turn came after ${handledAtFirstTurn} messages`,
  )
  await subscription.stop()
  await bus.close()
})

test('Given threads opening the same new log at once, when each opens it, then none is refused as locked', async () => {
  await using dir = await tempDir('cafe-open-race-')
  const local = new URL('./local.ts', import.meta.url).href
  // Embedded mode's two threads open the shared log together at every start.
  const code = `
    const { workerData, parentPort } = require('node:worker_threads')
    import(${JSON.stringify(local)}).then(async ({ openLocalBus }) => {
      try {
        await openLocalBus({ path: workerData, shared: true }).close()
        parentPort.postMessage('opened')
      } catch (error) {
        parentPort.postMessage(String(error.message))
      }
    })`
  const outcomes: unknown[] = []
  for (let i = 0; i < 10; i++) {
    const path = join(dir.path, `bus-${i}.db`)
    const opening = [0, 1, 2].map(
      () =>
        new Promise((resolve) => {
          const worker = new Worker(code, { eval: true, workerData: path })
          worker.once('message', (message) => {
            resolve(message)
            void worker.terminate()
          })
        }),
    )
    outcomes.push(...(await Promise.all(opening)))
  }
  assert.deepEqual(
    outcomes.filter((o) => o !== 'opened'),
    [],
  )
})

test('Given a publish, when it resolves, then the message is committed for every other connection, by a connection that fsyncs each commit', async (t) => {
  await using dir = await tempDir('cafe-durable-')
  const path = join(dir.path, 'bus.db')
  const bus = openLocalBus({ path })
  t.after(() => bus.close())
  // FULL: SQLite syncs the write-ahead log before the commit returns, so what another connection
  // sees here is on the disk, not only in the page cache (a power cut cannot be simulated).
  assert.equal(bus.health().detail, `local log at ${path}, synchronous full`)
  const other = new DatabaseSync(path, { readOnly: true })
  t.after(() => other.close())
  await bus.publish([{ id: 'a', type: 'Ordered', payload: '{"orderId":1}' }])
  assert.deepEqual(
    { ...other.prepare('select id, payload from message').get() },
    { id: 'a', payload: '{"orderId":1}' },
  )
})

/** Records what the bus warns about, as a pino logger would receive it. */
function recordingLogger() {
  const warnings: { o: Record<string, unknown>; msg: string | undefined }[] = []
  return {
    warnings,
    logger: {
      info() {},
      warn: (o: object, msg?: string) => warnings.push({ o: o as Record<string, unknown>, msg }),
      error() {},
    },
  }
}

test('Given a handler that never settles for one message, when its deadline passes, then later messages flow and the hung one is redelivered', async () => {
  await using dir = await tempDir('cafe-hung-')
  const { logger, warnings } = recordingLogger()
  const bus = openLocalBus({ path: join(dir.path, 'bus.db'), handlerDeadlineMs: 200, logger })
  const deliveries: string[] = []
  const subscription = bus.consume(
    'drink',
    async (m) => {
      deliveries.push(`${m.id}#${m.attempt}`)
      // Hangs the first time, as a handler stuck on a call without a timeout would.
      if (m.id === 'hung' && m.attempt === 1) await new Promise(() => {})
    },
    { retryDelay: () => 10 },
  )
  await bus.publish([{ id: 'hung', type: 'Ordered', payload: '{}' }])
  await waitFor(() => deliveries.includes('hung#1'), 5000, { what: 'the first delivery' })
  await bus.publish([
    { id: 'a', type: 'Ordered', payload: '{}' },
    { id: 'b', type: 'Ordered', payload: '{}' },
  ])
  await waitFor(() => ['a#1', 'b#1', 'hung#2'].every((d) => deliveries.includes(d)), 10_000, {
    what: 'the later messages and the redelivery of the hung one',
  })
  await waitFor(async () => (await bus.lag?.('drink')) === 0, 5000, { what: 'nothing left to settle' })
  assert.deepEqual(
    warnings.map((w) => [w.o.id, w.msg]),
    [['hung', 'handler still running past its deadline; retrying the message']],
  )
  await subscription.stop()
  await bus.close()
})

test('Given the log locked by another connection past the busy timeout, when positions are flushed, then the process carries on and the position is saved once the lock is gone', async (t) => {
  await using dir = await tempDir('cafe-busy-')
  const path = join(dir.path, 'bus.db')
  const uncaught: unknown[] = []
  const onUncaught = (error: unknown) => uncaught.push(error)
  process.on('uncaughtException', onUncaught)
  t.after(() => process.off('uncaughtException', onUncaught))
  const { logger, warnings } = recordingLogger()
  const bus = openLocalBus({ path, cursorFlushMs: 20, busyTimeoutMs: 50, logger })
  const other = new DatabaseSync(path)
  t.after(() => other.close())
  const savedPosition = other.prepare("select seq from cursor where consumer = 'drink'")
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => {
    release = resolve
  })
  const handled: string[] = []
  const subscription = bus.consume('drink', async (m) => {
    await held
    handled.push(m.id)
  })
  await bus.publish([{ id: 'a', type: 'Ordered', payload: '{}' }])
  // Another thread (or process) takes the write lock while the consumer still holds the message.
  other.exec('begin immediate')
  release()
  await waitFor(() => warnings.length > 0, 5000, { what: 'a flush put off' })
  assert.deepEqual(handled, ['a'])
  assert.equal(savedPosition.get(), undefined, 'nothing could be saved under the lock')
  other.exec('commit')
  await waitFor(() => (savedPosition.get() as { seq: number } | undefined)?.seq === 1, 5000, {
    what: 'the position saved',
  })
  assert.equal(warnings[0]?.msg, 'saving consumer positions put off: the log is locked')
  assert.deepEqual(uncaught, [])
  await subscription.stop()
  await bus.close()
})

test('Given the log locked by another connection past the busy timeout, when a failed delivery is to be scheduled for a retry, then the consumer waits for the lock and the message comes back', async (t) => {
  await using dir = await tempDir('cafe-busy-retry-')
  const path = join(dir.path, 'bus.db')
  const escaped: unknown[] = []
  const onEscaped = (error: unknown) => escaped.push(error)
  process.on('uncaughtException', onEscaped)
  process.on('unhandledRejection', onEscaped)
  t.after(() => {
    process.off('uncaughtException', onEscaped)
    process.off('unhandledRejection', onEscaped)
  })
  const { logger, warnings } = recordingLogger()
  const bus = openLocalBus({ path, busyTimeoutMs: 50, logger })
  const other = new DatabaseSync(path)
  t.after(() => other.close())
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => {
    release = resolve
  })
  const attempts: number[] = []
  const subscription = bus.consume(
    'drink',
    async (m) => {
      attempts.push(m.attempt)
      if (m.attempt === 1) {
        await held
        throw new Error('the first attempt fails')
      }
    },
    { retryDelay: () => 10 },
  )
  await bus.publish([{ id: 'a', type: 'Ordered', payload: '{}' }])
  await waitFor(() => attempts.length === 1, 5000, { what: 'the first delivery' })
  other.exec('begin immediate')
  release()
  await waitFor(() => warnings.some((w) => w.msg === 'retries not recorded: the log is locked'), 5000, {
    what: 'the retry put off',
  })
  other.exec('commit')
  await waitFor(() => attempts.includes(2), 5000, { what: 'the redelivery' })
  await waitFor(async () => (await bus.lag?.('drink')) === 0, 5000, { what: 'nothing left to settle' })
  assert.deepEqual(escaped, [])
  await subscription.stop()
  await bus.close()
})
