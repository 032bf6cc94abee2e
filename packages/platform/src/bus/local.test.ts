import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
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
