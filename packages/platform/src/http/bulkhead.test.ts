import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { BulkheadRejected, createBulkhead } from './bulkhead.ts'

/** Work that runs until the test lets it finish. */
const held = () => {
  let finish = () => {}
  const done = new Promise<void>((resolve) => {
    finish = resolve
  })
  return { work: () => done, finish }
}

describe('bulkhead', () => {
  test('waiting calls start in the order they came, each as a slot comes free', async () => {
    const bulkhead = createBulkhead({ maxConcurrent: 1, queue: 10, maxWaitMs: 5_000 })
    const first = held()
    const running = bulkhead.run(first.work)
    const started: string[] = []
    const waiting = ['a', 'b', 'c'].map((name) =>
      bulkhead.run(async () => {
        started.push(name)
      }),
    )
    assert.deepEqual(started, [], 'no slot yet')
    first.finish()
    await Promise.all([running, ...waiting])
    assert.deepEqual(started, ['a', 'b', 'c'])
  })

  test('a call that waited its longest fails as `waited` and gives its place up; a full queue refuses at once', async () => {
    const bulkhead = createBulkhead({ maxConcurrent: 1, queue: 1, maxWaitMs: 50 })
    const first = held()
    const running = bulkhead.run(first.work)
    const waited = await bulkhead.run(async () => 'ran').catch((error: unknown) => error)
    assert.ok(waited instanceof BulkheadRejected && waited.why === 'waited', String(waited))

    const queued = bulkhead.run(async () => 'ran')
    const refused = await bulkhead.run(async () => 'ran').catch((error: unknown) => error)
    assert.ok(refused instanceof BulkheadRejected && refused.why === 'full', String(refused))
    first.finish()
    await running
    assert.equal(await queued, 'ran', 'the place given up went to the next call')
  })

  test('a failing call frees its slot', async () => {
    const bulkhead = createBulkhead({ maxConcurrent: 1, queue: 0, maxWaitMs: 50 })
    await assert.rejects(
      bulkhead.run(async () => {
        throw new Error('callee down')
      }),
      /callee down/,
    )
    assert.equal(await bulkhead.run(async () => 'ran'), 'ran')
  })
})
