import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createLogger } from '@cafeteria/platform'
import { closedPort } from '@cafeteria/platform/testing'
import { ensureBuilt } from '@cafeteria/web/build'
import { startGateway } from './testing.ts'

async function gatewayWith(env: Record<string, string> = {}) {
  const down = `http://127.0.0.1:${await closedPort()}`
  return startGateway({
    env: {
      HOST: '127.0.0.1',
      GATEWAY_PORT: '0',
      ORDER_URL: down,
      PAYMENT_URL: down,
      DRINK_URL: down,
      CUSTOMERCENTER_URL: down,
      POINT_URL: down,
      AUTH_SECRET: 'a-test-secret-of-at-least-32-chars',
      ...env,
    },
    logger: createLogger({ level: 'silent' }),
  })
}

/** The policy's directives by name. */
const directives = (header: string | null) =>
  new Map(
    (header ?? '')
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...values]) => [name as string, values]),
  )

// The UI's pages and assets, the menu, an API answer (here the 503 of a service that is down),
// a 404, the API docs, a probe.
const paths = ['/', '/barista', '/menu', '/orders/1', '/nowhere', '/docs/', '/health/live']

test('every answer of the gateway carries the security headers; no HSTS without an https PUBLIC_URL', async (t) => {
  await ensureBuilt()
  const gateway = await gatewayWith({ PUBLIC_URL: 'http://cafe.example' })
  t.after(() => gateway.stop())
  const html = await (await fetch(`${gateway.url}/`)).text()
  const asset = /\/assets\/[\w-]+\.js/.exec(html)?.[0]
  assert.ok(asset)
  for (const path of [...paths, asset]) {
    const answer = await fetch(`${gateway.url}${path}`)
    await answer.arrayBuffer()
    const csp = directives(answer.headers.get('content-security-policy'))
    assert.deepEqual(csp.get('frame-ancestors'), ["'none'"], path)
    assert.deepEqual(csp.get('script-src'), ["'self'"], path)
    // Swagger UI sets inline styles; nothing else may.
    const styles = path.startsWith('/docs') ? ["'self'", "'unsafe-inline'"] : ["'self'"]
    assert.deepEqual(csp.get('style-src'), styles, path)
    assert.deepEqual(csp.get('default-src'), ["'self'"], path)
    assert.deepEqual(csp.get('object-src'), ["'none'"], path)
    assert.equal(csp.has('upgrade-insecure-requests'), false, `${path}: would break plain http`)
    assert.equal(answer.headers.get('x-content-type-options'), 'nosniff', path)
    assert.equal(answer.headers.get('x-frame-options'), 'DENY', path)
    assert.equal(answer.headers.get('referrer-policy'), 'no-referrer', path)
    assert.equal(answer.headers.get('strict-transport-security'), null, path)
  }
})

test('behind an https PUBLIC_URL browsers are told to stay on https', async (t) => {
  const gateway = await gatewayWith({ PUBLIC_URL: 'https://cafe.example' })
  t.after(() => gateway.stop())
  for (const path of ['/menu', '/orders/1']) {
    const answer = await fetch(`${gateway.url}${path}`)
    await answer.arrayBuffer()
    assert.equal(answer.headers.get('strict-transport-security'), 'max-age=31536000; includeSubDomains', path)
    assert.ok(directives(answer.headers.get('content-security-policy')).has('upgrade-insecure-requests'))
  }
})

test('PUBLIC_URL must be a URL', async () => {
  await assert.rejects(
    gatewayWith({ PUBLIC_URL: 'cafe dot example' }),
    /PUBLIC_URL: "cafe dot example" is not a URL/,
  )
})

/**
 * What the policy allows, checked against what the pages load (a browser would refuse the rest):
 * scripts and stylesheets from this origin only, no inline code, images inline (data:) at most.
 */
for (const path of ['/', '/docs/']) {
  test(`${path} loads nothing the policy refuses`, async (t) => {
    await ensureBuilt()
    const gateway = await gatewayWith()
    t.after(() => gateway.stop())
    const html = await (await fetch(`${gateway.url}${path}`)).text()
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
    assert.ok(scripts.length > 0)
    for (const [, attributes, body] of scripts) {
      const src = /\bsrc="([^"]+)"/.exec(attributes ?? '')?.[1]
      assert.ok(src && sameOrigin(src), `a script from this origin, not ${src ?? 'inline'}`)
      assert.equal(body?.trim(), '', 'no inline code')
    }
    assert.doesNotMatch(html, /<style\b/, 'no inline stylesheet')
    assert.doesNotMatch(html, /\sstyle="/, 'no style attribute')
    assert.doesNotMatch(html, /\son[a-z]+="/, 'no inline event handler')
    for (const [, rel, href] of html.matchAll(/<link\b[^>]*\brel="([^"]+)"[^>]*\bhref="([^"]+)"/g)) {
      const allowed =
        rel === 'stylesheet'
          ? sameOrigin(href as string)
          : sameOrigin(href as string) || href?.startsWith('data:')
      assert.ok(allowed, `${rel} ${href}`)
    }
  })
}

const sameOrigin = (url: string) => !/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('//')
