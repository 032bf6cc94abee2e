import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ConfigError, configReader, createLogger, openLocalBus, startService } from '@cafeteria/platform'
import { orderService } from './index.ts'
import { orderSettings } from './settings.ts'

const refusal = (env: Record<string, string>) => {
  const read = configReader(env)
  orderSettings(read)
  try {
    read.done()
    return undefined
  } catch (error) {
    assert.ok(error instanceof ConfigError)
    return error.problems.join('\n')
  }
}

describe('ORDER_ABANDONED_AFTER_MS against the longest call', () => {
  test('the defaults go together: 30 s against 4.5 s calls (3 s queue wait + 1.5 s budget)', () => {
    assert.equal(refusal({}), undefined)
  })

  test('shorter than twice the longest payment call, the service refuses to start, naming the settings', () => {
    const problem = refusal({ ORDER_ABANDONED_AFTER_MS: '5000' })
    assert.match(problem ?? '', /ORDER_ABANDONED_AFTER_MS: 5000 ms .* 4500 ms.*at least 9000/)
    assert.equal(
      refusal({ ORDER_ABANDONED_AFTER_MS: '5000', PAYMENT_QUEUE_WAIT_MS: '500', POINT_QUEUE_WAIT_MS: '500' }),
      undefined,
    )
  })

  test('a point call counts as much: the same threshold finishes cancels whose answer was lost', () => {
    assert.match(refusal({ POINT_BUDGET_MS: '20000' }) ?? '', /at least 46000/)
  })

  test('retries off, one attempt’s deadline bounds the call instead of the budget', () => {
    const env = { ORDER_ABANDONED_AFTER_MS: '2000', PAYMENT_QUEUE_WAIT_MS: '300', POINT_QUEUE_WAIT_MS: '300' }
    assert.notEqual(refusal({ ...env, PAYMENT_TIMEOUT_MS: '600', POINT_TIMEOUT_MS: '600' }), undefined)
    assert.equal(
      refusal({
        ...env,
        PAYMENT_TIMEOUT_MS: '600',
        POINT_TIMEOUT_MS: '600',
        PAYMENT_RETRIES: '0',
        POINT_RETRIES: '0',
      }),
      undefined,
    )
  })

  test('the service does not start with it', async () => {
    const bus = openLocalBus({ path: ':memory:' })
    try {
      await assert.rejects(
        startService(orderService, {
          env: { ORDER_ABANDONED_AFTER_MS: '3000' },
          bus,
          logger: createLogger({ level: 'silent' }),
          defaults: { port: 0, databaseUrl: 'sqlite::memory:' },
        }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.problems.some((p) => p.startsWith('ORDER_ABANDONED_AFTER_MS')),
      )
    } finally {
      await bus.close()
    }
  })
})
