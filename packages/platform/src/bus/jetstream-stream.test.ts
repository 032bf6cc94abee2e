import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { ConfigError } from '../config.ts'
import { connectJetStream } from './jetstream.ts'

// Moving a stream between replica counts on a cluster: test/e2e/broker-node-loss.test.ts.

test('more replicas than a single server can keep stop the service at start-up, naming JETSTREAM_REPLICAS', async () => {
  const stream = `T${randomUUID().slice(0, 8).toUpperCase()}`
  const refused = await connectJetStream({ servers: 'nats://127.0.0.1:4222', stream, replicas: 3 }).then(
    async (bus) => {
      await bus.close()
      return undefined
    },
    (error: unknown) => error,
  )
  assert.ok(refused instanceof ConfigError, String(refused))
  assert.match(refused.problems[0] ?? '', /^JETSTREAM_REPLICAS: 3 replicas of stream T\w+ refused by NATS/)
})
