import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openEvents, slowHeaders } from '@cafeteria/platform/testing'
import { startSecureSystem } from '../support/secure.ts'
import { waitFor } from '../support/system.ts'

test('every server of the system cuts off a request that trickles in; a live stream through the gateway outlives that deadline', async (t) => {
  const system = await startSecureSystem({ REQUEST_TIMEOUT_MS: '500', LIVE_HEARTBEAT_MS: '100' })
  t.after(() => system.stop())
  const customer = await system.customer('01012345679')
  assert.equal(system.running.length, 6)

  const cut = await Promise.all(system.running.map((s) => slowHeaders(Number(new URL(s.url).port))))
  system.running.forEach((service, i) => {
    const { ms, answer } = cut[i] as { ms: number; answer: string }
    // The headers alone would take a minute at this pace.
    assert.ok(ms >= 450 && ms < 5000, `${service.name}: closed after ${ms} ms`)
    assert.match(answer, /^HTTP\/1\.1 408 /, service.name)
  })

  const stream = await openEvents(`${system.url}/mypages/stream`, customer)
  t.after(() => stream.close())
  assert.equal(stream.status, 200)
  const opened = performance.now()
  // Still beating three request deadlines after it was asked for: never cut.
  const late = await waitFor(async () => performance.now() - opened > 1500 && stream.heartbeats(), 10_000)
  await waitFor(async () => stream.heartbeats() > late, 5000, 'a heartbeat after that')
})
