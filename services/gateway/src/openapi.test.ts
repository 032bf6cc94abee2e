import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { mergeOpenApi, type OpenApiDocument, routeFor } from './openapi.ts'
import { routes } from './routes.ts'

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } })
const answer = (schema: unknown) => ({ responses: { 200: { description: 'ok', ...json(schema) } } })

function doc(service: string, paths: OpenApiDocument['paths'], schemas: Record<string, unknown> = {}) {
  return {
    service,
    document: {
      openapi: '3.0.3',
      info: { title: `cafeteria ${service}`, version: '1.0.0' },
      paths,
      components: { schemas },
    },
  }
}

const problem = { type: 'object', properties: { status: { type: 'integer' } } }
const order = doc(
  'order',
  {
    '/orders': { post: { requestBody: json(ref('def-0')), ...answer(ref('def-1')) } },
    '/orders/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true }],
      get: answer(ref('def-1')),
      patch: answer(ref('def-1')),
      delete: answer(ref('def-1')),
    },
    // Only payment is routed /payments: another service's path of that name is not public.
    '/payments/{id}': { get: answer(ref('Problem')) },
  },
  {
    'def-0': { type: 'object', properties: { qty: { type: 'integer' } } },
    'def-1': { type: 'object', properties: { id: { type: 'integer' }, error: ref('Problem') } },
    Problem: problem,
  },
)
const payment = doc(
  'payment',
  {
    '/payments': { post: { requestBody: json(ref('def-0')), ...answer(ref('def-1')) } },
    '/payments/{id}': { get: answer(ref('def-1')) },
  },
  {
    'def-0': { type: 'object', properties: { orderId: { type: 'integer' } } },
    'def-1': { type: 'object', properties: { status: { type: 'string' } } },
    Problem: problem,
  },
)
const point = doc('point', {
  '/points/cancelPoint': { patch: answer({ type: 'object' }) },
  '/points/search/findByPhoneNumber': { get: answer({ type: 'object' }) },
  '/pointHistories/{id}': { get: answer({ type: 'object' }) },
})

const operations = (merged: OpenApiDocument) =>
  Object.entries(merged.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((key) => key !== 'parameters')
      .map((method) => `${method} ${path}`),
  )

describe('mergeOpenApi', () => {
  const merged = mergeOpenApi(routes, [order, payment, point])

  test('keeps only what the gateway routes to that service, with the method it allows', () => {
    assert.deepEqual(operations(merged).sort(), [
      'get /orders/{id}',
      'get /payments/{id}',
      'get /pointHistories/{id}',
      'get /points/search/findByPhoneNumber',
      'patch /orders/{id}',
      'post /orders',
    ])
    assert.equal(merged.paths['/payments'], undefined, 'POST /payments is internal')
    assert.equal(merged.paths['/points/cancelPoint'], undefined, 'PATCH /points/cancelPoint is internal')
  })

  test('the kept path of /payments/{id} is payment’s, not order’s', () => {
    assert.deepEqual(merged.paths['/payments/{id}']?.get.responses[200].content['application/json'].schema, {
      $ref: '#/components/schemas/payment.def-1',
    })
  })

  test('keeps path-level parameters with the operations', () => {
    assert.equal(merged.paths['/orders/{id}']?.parameters[0].name, 'id')
  })

  test('tags each operation with its service, and lists the tags of services that have operations', () => {
    assert.deepEqual(merged.paths['/orders']?.post.tags, ['order'])
    assert.deepEqual(merged.paths['/payments/{id}']?.get.tags, ['payment'])
    assert.deepEqual(merged.paths['/points/search/findByPhoneNumber']?.get.tags, ['point'])
    assert.deepEqual(
      merged.tags?.map((tag) => tag.name),
      ['order', 'payment', 'point'],
    )
  })

  test('gives clashing component names the service name, in the definitions and the references', () => {
    const schemas = merged.components?.schemas ?? {}
    assert.deepEqual(schemas['order.def-0'], order.document.components.schemas['def-0'])
    assert.deepEqual(schemas['payment.def-1'], payment.document.components.schemas['def-1'])
    assert.equal(schemas['def-0'], undefined)
    assert.deepEqual(merged.paths['/orders']?.post.requestBody.content['application/json'].schema, {
      $ref: '#/components/schemas/order.def-0',
    })
  })

  test('shares a component every service defines the same way, reached through another', () => {
    const schemas = merged.components?.schemas ?? {}
    assert.deepEqual(schemas.Problem, problem)
    assert.deepEqual((schemas['order.def-1'] as any).properties.error, ref('Problem'))
  })

  test('leaves out components only internal endpoints use', () => {
    assert.equal(merged.components?.schemas?.['payment.def-0'], undefined, 'POST /payments body')
  })

  test('names the gateway, serves from it, and does not change its inputs', () => {
    assert.equal(merged.info.title, 'cafeteria API')
    assert.deepEqual(merged.servers, [{ url: '/' }])
    assert.doesNotMatch(merged.info.description ?? '', /not available/i)
    assert.deepEqual(order.document.paths['/orders']?.post.requestBody, json(ref('def-0')))
    assert.equal(order.document.paths['/orders']?.post.tags, undefined)
  })

  test('lists the services it could not read, and serves the rest', () => {
    const partial = mergeOpenApi(routes, [order], ['payment', 'point'])
    assert.match(partial.info.description ?? '', /not available.*: payment, point\./i)
    assert.deepEqual(operations(partial).sort(), ['get /orders/{id}', 'patch /orders/{id}', 'post /orders'])
    // Alone, order's names clash with nobody.
    assert.ok(partial.components?.schemas?.['def-0'])
  })

  test('with nothing read, is still a valid, empty document', () => {
    const empty = mergeOpenApi(routes, [], ['order'])
    assert.deepEqual([empty.paths, empty.tags, empty.components], [{}, [], { schemas: {} }])
  })
})

describe('routeFor', () => {
  const nested = [
    { prefix: '/points', upstream: 'point', methods: ['GET'] },
    { prefix: '/points/admin', upstream: 'customercenter', methods: ['GET'] },
  ] as const

  test('takes the longest prefix that allows the method, and only whole segments', () => {
    assert.equal(routeFor(nested, '/points/admin/{id}', 'get')?.upstream, 'customercenter')
    assert.equal(routeFor(nested, '/points/administrators', 'get')?.upstream, 'point')
    assert.equal(routeFor(nested, '/points', 'GET')?.upstream, 'point')
    assert.equal(routeFor(nested, '/pointsx', 'get'), undefined)
    assert.equal(routeFor(nested, '/points/{id}', 'patch'), undefined)
  })
})
