import assert from 'node:assert/strict'
import { resolve } from 'node:path'
import { test } from 'node:test'
import { defaultRunDir, parseReplicas } from './distributed.ts'

test('--replicas: counts per back-end service; the gateway, unknown names and bad counts are refused', () => {
  assert.deepEqual(parseReplicas('point=2, order=3'), { point: 2, order: 3 })
  assert.deepEqual(parseReplicas(''), {})
  assert.throws(() => parseReplicas('gateway=2'), /the gateway runs once/)
  assert.throws(() => parseReplicas('kitchen=2'), /unknown service "kitchen"/)
  assert.throws(() => parseReplicas('point=0'), /count from 1 to 16/)
  assert.throws(() => parseReplicas('point'), /count from 1 to 16/)
  assert.throws(() => parseReplicas('point=2.5'), /count from 1 to 16/)
})

test('the run directory: --run-dir, else CAFE_RUN_DIR, else ./run/<gateway port>', () => {
  assert.equal(defaultRunDir({}, '/tmp/a'), '/tmp/a')
  assert.equal(defaultRunDir({ CAFE_RUN_DIR: '/tmp/b', GATEWAY_PORT: '9000' }), '/tmp/b')
  assert.equal(defaultRunDir({ GATEWAY_PORT: '9000' }), resolve('run/9000'))
  assert.equal(defaultRunDir({}), resolve('run/8080'))
})
