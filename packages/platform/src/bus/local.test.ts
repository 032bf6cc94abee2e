import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { Worker } from 'node:worker_threads'
import { tempDir, waitFor } from '../testing.ts'
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
