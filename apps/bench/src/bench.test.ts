import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseStatus } from './memory.ts'
import { eventReader } from './sse.ts'
import { mapBounded } from './verify.ts'

test('verification keeps at most the given number of look-ups in flight, results in order', async () => {
  let inFlight = 0
  let most = 0
  const results = await mapBounded([...Array(50).keys()], 7, async (n) => {
    most = Math.max(most, ++inFlight)
    await sleep(n % 3)
    inFlight--
    return n * 2
  })
  assert.equal(most, 7)
  assert.deepEqual(
    results,
    [...Array(50).keys()].map((n) => n * 2),
  )
})

test('given a stream cut mid-event, when read, then the complete events, and the rest once it arrives', () => {
  const read = eventReader()
  const events = read('retry: 2000\n\nid: a\nevent: mypage\ndata: {"orders":[]}\n\n: hi\n\nevent: my')
  assert.deepEqual(events, [{ event: 'mypage', data: '{"orders":[]}' }])
  // What was left, `event: my`, is kept: the rest of the event completes it.
  assert.deepEqual(read('page\ndata: {"orders":[1]}\n\n'), [{ event: 'mypage', data: '{"orders":[1]}' }])
})

test('given /proc/<pid>/status, when parsed, then the resident size now and its high water mark in kB', () => {
  const status = 'Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t  210000 kB\nVmRSS:\t  180500 kB\nThreads:\t12\n'
  assert.deepEqual(parseStatus(status), { rssKb: 180500, hwmKb: 210000 })
  assert.equal(parseStatus('Name:\tkthreadd\n'), undefined)
})
