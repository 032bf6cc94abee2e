import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { test } from 'node:test'
import { openLocalBus } from '../bus/local.ts'
import { ConfigError, configReader } from '../config.ts'
import { createLogger } from '../logger.ts'
import { type ServiceDefinition, startService } from '../service.ts'
import { tracingSettings } from './tracing.ts'

const settings = (env: Record<string, string>) => tracingSettings(configReader(env))

test('tracing is off unless an exporter or an OTLP endpoint is configured', () => {
  assert.equal(settings({}), undefined)
  assert.equal(settings({ OTEL_TRACES_EXPORTER: 'none' }), undefined)
  assert.equal(
    settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }),
    undefined,
  )
  const byEndpoint = settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })
  assert.deepEqual(byEndpoint?.exporters, ['otlp'])
  assert.equal(byEndpoint?.otlp.url, 'http://collector:4318/v1/traces')
  assert.equal(byEndpoint?.otlp.protocol, 'http/protobuf')
  assert.equal(byEndpoint?.sampler, 'parentbased_always_on')
  assert.equal(byEndpoint?.batch.scheduledDelayMillis, 5000)

  const full = settings({
    OTEL_TRACES_EXPORTER: 'otlp,console',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example/traces',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%20b, x-tenant=cafe',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.25',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod',
    OTEL_SERVICE_NAME: 'cafe-order',
  })
  assert.deepEqual(full?.exporters, ['otlp', 'console'])
  assert.equal(full?.otlp.url, 'https://collector.example/traces')
  assert.deepEqual(full?.otlp.headers, { 'api-key': 'a b', 'x-tenant': 'cafe' })
  assert.equal(full?.samplerRatio, 0.25)
  assert.deepEqual(full?.resource, { 'deployment.environment': 'prod' })
  assert.equal(full?.serviceName, 'cafe-order')
})

test('bad tracing settings stop the start with a message naming each', () => {
  assert.throws(
    () =>
      settings({
        OTEL_TRACES_EXPORTER: 'jaeger',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_HEADERS: 'novalue',
        OTEL_TRACES_SAMPLER_ARG: '2',
      }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.problems.length === 4 &&
      /OTEL_TRACES_EXPORTER/.test(error.message) &&
      /grpc/.test(error.message) &&
      /OTEL_EXPORTER_OTLP_HEADERS/.test(error.message) &&
      /OTEL_TRACES_SAMPLER_ARG/.test(error.message),
  )
})

const probe: ServiceDefinition<object> = {
  name: 'probe',
  migrations: [],
  routes(app) {
    app.get('/things/:id', { config: { access: 'public' } }, async () => ({ ok: true }))
  },
}

test('by default spans go as OTLP protobuf to the endpoint, and stopping the service sends the last', async () => {
  const received: { url?: string; type?: string; body: Buffer }[] = []
  const collector = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      received.push({ url: request.url, type: request.headers['content-type'], body: Buffer.concat(chunks) })
      response.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
  const { port } = collector.address() as { port: number }
  const bus = openLocalBus({ path: ':memory:' })
  try {
    const service = await startService(probe, {
      env: {
        HOST: '127.0.0.1',
        OPEN_API: 'true',
        PROBE_PORT: '0',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      },
      bus,
      logger: createLogger({ level: 'silent' }),
      defaults: { port: 0, databaseUrl: 'sqlite::memory:' },
    })
    assert.equal((await fetch(`${service.url}/things/7`)).status, 200)
    // The batch waits 5 s by default: only the shutdown can have sent it this soon.
    await service.stop()
  } finally {
    await bus.close()
    collector.closeAllConnections()
    await new Promise((resolve) => collector.close(resolve))
  }
  assert.equal(received.length, 1)
  const [request] = received
  assert.equal(request?.url, '/v1/traces')
  assert.equal(request?.type, 'application/x-protobuf')
  // Protobuf keeps strings as they are: the service's name and the span's.
  const body = request?.body.toString('latin1') ?? ''
  assert.ok(body.includes('probe'), 'service.name')
  assert.ok(body.includes('GET /things/:id'), 'the span, named after its route')
})
