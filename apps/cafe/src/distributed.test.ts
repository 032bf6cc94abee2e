import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseReplicas } from './distributed.ts'

test('--replicas: counts per back-end service; the gateway, unknown names and bad counts are refused', () => {
  assert.deepEqual(parseReplicas('point=2, order=3'), { point: 2, order: 3 })
  assert.deepEqual(parseReplicas(''), {})
  assert.throws(() => parseReplicas('gateway=2'), /the gateway runs once/)
  assert.throws(() => parseReplicas('kitchen=2'), /unknown service "kitchen"/)
  assert.throws(() => parseReplicas('point=0'), /count from 1 to 16/)
  assert.throws(() => parseReplicas('point'), /count from 1 to 16/)
  assert.throws(() => parseReplicas('point=2.5'), /count from 1 to 16/)
})
