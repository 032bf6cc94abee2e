import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startInMemorySystem } from '@cafeteria/cafe/testing'
import { call, openEvents } from '@cafeteria/platform/testing'

let system: Awaited<ReturnType<typeof startInMemorySystem>>
before(async () => {
  system = await startInMemorySystem({ OPEN_API: 'true' })
})
after(() => system.stop())

const operations = (document: any) =>
  new Set(
    Object.entries(document.paths as Record<string, object>).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    ),
  )

test('GET /docs/openapi.json merges every service’s public operations, without the internal ones', async () => {
  const answer = await call(`${system.url}/docs/openapi.json`)
  assert.equal(answer.status, 200)
  const document = answer.body
  assert.equal(document.info.title, 'cafeteria API')
  assert.deepEqual(document.servers, [{ url: '/' }])
  assert.doesNotMatch(document.info.description, /not available/i)
  const ops = operations(document)
  for (const op of [
    'post /orders',
    'patch /orders/{id}',
    'get /payments/{id}',
    'get /drinks',
    'get /points/search/findByPhoneNumber',
    'get /mypages/search/findByPhoneNumber',
    'get /notifications/{id}',
    'get /pointHistories/{id}',
  ]) {
    assert.ok(ops.has(op), `${op} is documented`)
  }
  assert.ok(!ops.has('post /payments'), 'POST /payments is internal')
  assert.ok(!ops.has('patch /points/cancelPoint'), 'PATCH /points/cancelPoint is internal')
  assert.deepEqual(document.paths['/orders'].post.tags, ['order'])
  assert.deepEqual(document.paths['/mypages/search/findByPhoneNumber'].get.tags, ['customercenter'])
  assert.deepEqual(
    document.tags.map((tag: { name: string }) => tag.name),
    ['order', 'payment', 'drink', 'customercenter', 'point'],
  )
})

test('every documented operation is one the gateway actually routes', async () => {
  const { body } = await call(`${system.url}/docs/openapi.json`)
  for (const [path, item] of Object.entries(body.paths as Record<string, object>)) {
    for (const method of Object.keys(item).filter((key) => key !== 'parameters')) {
      const concrete = path.replaceAll(/\{[^}]+\}/g, '1')
      // An empty body: writes are refused as invalid, so nothing changes.
      const body = method === 'get' ? {} : { json: {} }
      const streams = Boolean((item as any)[method].responses?.['200']?.content?.['text/event-stream'])
      // An event stream never ends: that it opened is the answer.
      const answer = streams
        ? await openEvents(`${system.url}${concrete}?phoneNumber=01012345678`).then((events) => {
            events.close()
            return { status: events.status, body: { type: events.headers.get('content-type') } }
          })
        : await call(`${system.url}${concrete}`, { method: method.toUpperCase(), ...body })
      assert.doesNotMatch(String(answer.body?.type), /no-route/, `${method} ${path} reaches a service`)
    }
  }
})

test('GET /docs is the Swagger UI page, over the merged document', async () => {
  const page = await call(`${system.url}/docs`)
  assert.equal(page.status, 200)
  assert.match(page.headers.get('content-type') ?? '', /text\/html/)
  assert.match(page.body, /swagger-ui/)
  const initializer = await call(`${system.url}/docs/static/swagger-initializer.js`)
  assert.equal(initializer.status, 200)
  assert.match(initializer.body, /resolveUrl\('\.\/json'\)/)
  // The document the UI loads is the merged one.
  const shown = await call(`${system.url}/docs/json`)
  assert.equal(shown.body.info.title, 'cafeteria API')
  assert.ok(operations(shown.body).has('get /points/search/findByPhoneNumber'))
})

test('the gateway keeps its own OpenAPI document and health endpoints', async () => {
  const own = await call(`${system.url}/openapi.json`)
  assert.equal(own.status, 200)
  assert.equal(own.body.info.title, 'cafeteria gateway')
  assert.ok(!Object.keys(own.body.paths).some((path) => path.startsWith('/docs')))
  assert.equal((await call(`${system.url}/health/live`)).status, 200)
  assert.equal((await call(`${system.url}/health/ready`)).status, 200)
})
