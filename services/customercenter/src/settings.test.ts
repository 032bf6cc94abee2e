import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { ConfigError, configReader, type Env } from '@cafeteria/platform'
import { tempDir } from '@cafeteria/platform/testing'
import { customercenterSettings } from './settings.ts'
import { defaultTemplates, render, templateVariable } from './templates.ts'
import { startCustomercenter } from './testing.ts'

const settings = (env: Env) => customercenterSettings(configReader(env))

function problemsOf(env: Env): readonly string[] {
  try {
    settings(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  assert.fail('expected a ConfigError')
}

describe('settings', () => {
  test('by default notifications go to the log in the original wording', () => {
    const read = settings({})
    assert.deepEqual(read.notifier, { kind: 'log' })
    assert.deepEqual(read.templates, defaultTemplates)
    assert.deepEqual(read.delivery, { maxAttempts: 10, retryBaseMs: 1000, retryMaxMs: 300_000, pollMs: 1000 })
  })

  test('a webhook takes its URL, token and timeout from the environment', () => {
    const read = settings({
      NOTIFIER: 'webhook',
      NOTIFY_WEBHOOK_URL: 'https://alimtalk.example/send',
      NOTIFY_WEBHOOK_TOKEN: 'abc',
      NOTIFY_WEBHOOK_TIMEOUT_MS: '1500',
    })
    assert.deepEqual(read.notifier, {
      kind: 'webhook',
      url: 'https://alimtalk.example/send',
      token: 'abc',
      timeoutMs: 1500,
    })
  })

  test('templates come from a JSON file, and one variable per kind overrides it', async () => {
    await using dir = await tempDir()
    const file = join(dir.path, 'templates.json')
    await writeFile(
      file,
      JSON.stringify({
        Ordered: '{productName} x{qty}: received',
        Made: 'Order {orderId} is ready\nCome in!',
      }),
    )
    const read = settings({ NOTIFY_TEMPLATES_FILE: file, NOTIFY_TEMPLATE_MADE: '{productName} is ready' })
    assert.deepEqual(read.templates, {
      ...defaultTemplates,
      Ordered: '{productName} x{qty}: received',
      Made: '{productName} is ready',
    })
  })

  test('templates may also be given inline as NOTIFY_TEMPLATES', () => {
    const read = settings({ NOTIFY_TEMPLATES: '{"CancelFailed": "Too late to cancel order {orderId}"}' })
    assert.equal(read.templates.CancelFailed, 'Too late to cancel order {orderId}')
  })

  test('every bad setting is reported at once, naming it', () => {
    const problems = problemsOf({
      NOTIFIER: 'webhook',
      NOTIFY_MAX_ATTEMPTS: '0',
      NOTIFY_TEMPLATES: '{"Ordered": "hi {name}", "Shipped": "x", "Made": ""}',
      NOTIFY_TEMPLATE_RECEIPTED: 'got {orderid}',
    })
    const expected = [
      /^NOTIFY_MAX_ATTEMPTS: /,
      /^NOTIFY_WEBHOOK_URL: required when NOTIFIER=webhook/,
      /^NOTIFY_TEMPLATES Ordered: unknown placeholder \{name\}/,
      /^NOTIFY_TEMPLATES: unknown kind "Shipped"/,
      /^NOTIFY_TEMPLATES Made: must be a non-empty string/,
      /^NOTIFY_TEMPLATE_RECEIPTED: unknown placeholder \{orderid\}/,
    ]
    assert.equal(problems.length, expected.length, problems.join('\n'))
    for (const [i, pattern] of expected.entries()) assert.match(problems[i] ?? '', pattern)
  })

  for (const [name, env, pattern] of [
    ['not JSON', { NOTIFY_TEMPLATES: '{Ordered: hi}' }, /^NOTIFY_TEMPLATES: not JSON/],
    ['not an object', { NOTIFY_TEMPLATES: '["hi"]' }, /must be a JSON object/],
    [
      'an unreadable file',
      { NOTIFY_TEMPLATES_FILE: '/nonexistent/t.json' },
      /^NOTIFY_TEMPLATES_FILE: cannot read/,
    ],
    [
      'a webhook URL that is not http',
      { NOTIFIER: 'webhook', NOTIFY_WEBHOOK_URL: 'ftp://x' },
      /NOTIFY_WEBHOOK_URL: "ftp:\/\/x" is not an http/,
    ],
    ['an unknown notifier', { NOTIFIER: 'sms' }, /^NOTIFIER: "sms" is not one of log, webhook/],
  ] as const) {
    test(`templates or notifier: ${name} is refused`, () => {
      assert.match(problemsOf(env).join('\n'), pattern)
    })
  }

  test('the service does not start with a bad setting', async () => {
    await assert.rejects(
      startCustomercenter({ env: { NOTIFY_TEMPLATE_MADE: '{nope}' } }),
      (error: Error) => error instanceof ConfigError && /NOTIFY_TEMPLATE_MADE/.test(error.message),
    )
  })
})

describe('templates', () => {
  test('each kind has its own variable', () => {
    assert.equal(templateVariable('Ordered'), 'NOTIFY_TEMPLATE_ORDERED')
    assert.equal(templateVariable('PaymentCanceled'), 'NOTIFY_TEMPLATE_PAYMENT_CANCELED')
    assert.equal(templateVariable('CancelFailed'), 'NOTIFY_TEMPLATE_CANCEL_FAILED')
  })

  test('placeholders are filled; other braces are left alone', () => {
    const values = {
      orderId: 3,
      phoneNumber: '01012345679',
      productName: 'mocha',
      qty: 1,
      amt: 0,
      status: 'Made',
    }
    assert.equal(
      render('{productName} ({qty}) {amt} won {status} { x }', values),
      'mocha (1) 0 won Made { x }',
    )
  })
})
