import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openLocalBus } from './bus/local.ts'
import { createLogger } from './logger.ts'
import { type ServiceDefinition, type StatelessServiceDefinition, startService } from './service.ts'
import { waitFor } from './testing/index.ts'
import { createWorker, type PendingWorker } from './worker.ts'

const env = { HOST: '127.0.0.1', AUTH_SECRET: 'a-test-secret-of-at-least-32-chars' }

/** The JSON lines a logger wrote, parsed. */
function capture() {
  const lines: Record<string, unknown>[] = []
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
  })
  return { lines, logger }
}

/** Counts its runs; it polls once an hour, so a run at start is the runtime's doing. */
interface Counted {
  readonly runs: { count: number }
  readonly worker: PendingWorker
}

const counted: ServiceDefinition<object, Record<string, never>, Counted> = {
  name: 'counted',
  migrations: [],
  compose(ctx) {
    const runs = { count: 0 }
    const worker = createWorker({
      name: 'counter',
      pollMs: 3_600_000,
      log: ctx.log,
      drain: async () => {
        runs.count++
      },
    })
    return { runs, worker }
  },
  routes(app, _ctx, { runs }) {
    app.get('/runs', { config: { access: 'public' } }, async () => runs)
  },
  workers: (_ctx, { worker }) => [worker],
}

const edge: StatelessServiceDefinition<{ greeting: string }, { greeting: string }> = {
  name: 'edge',
  settings: (read) => ({ greeting: read.string('EDGE_GREETING', 'hello') }),
  public: () => ({}),
  compose: (ctx) => ({ greeting: `${ctx.config.greeting}, ${ctx.name}` }),
  routes(app, _ctx, deps) {
    app.get('/greeting', async () => deps)
  },
}

test("a service's workers run once it is up, and share what its routes are given", async () => {
  const bus = openLocalBus({ path: ':memory:' })
  const service = await startService(counted, {
    env: { ...env, COUNTED_PORT: '0' },
    bus,
    logger: createLogger({ level: 'silent' }),
    defaults: { port: 0, databaseUrl: 'sqlite::memory:' },
  })
  try {
    await waitFor(
      async () => ((await (await fetch(`${service.url}/runs`)).json()) as { count: number }).count === 1,
      5_000,
      { what: 'the worker to run at start' },
    )
  } finally {
    await service.stop()
    await bus.close()
  }
})

test('a service without migrations starts with no database and no bus; a public one serves no /metrics', async () => {
  const service = await startService(edge, {
    env: { ...env, EDGE_PORT: '0', EDGE_GREETING: 'hi' },
    logger: createLogger({ level: 'silent' }),
    defaults: { port: 0 },
  })
  try {
    assert.deepEqual(await (await fetch(`${service.url}/greeting`)).json(), { greeting: 'hi, edge' })
    const ready = await fetch(`${service.url}/health/ready`)
    assert.equal(ready.status, 200)
    assert.deepEqual(await ready.json(), { status: 'UP', checks: {} })
    assert.equal((await fetch(`${service.url}/metrics`)).status, 404)
  } finally {
    await service.stop()
  }
})

test('a service that keeps data refuses to start without a bus', async () => {
  await assert.rejects(
    startService(counted, {
      env: { ...env, COUNTED_PORT: '0' },
      logger: createLogger({ level: 'silent' }),
      defaults: { port: 0, databaseUrl: 'sqlite::memory:' },
    }),
    /counted keeps data: it needs a bus/,
  )
})

test('every line a service logs from start to stop says something', async () => {
  const { lines, logger } = capture()
  const bus = openLocalBus({ path: ':memory:' })
  const started = [
    await startService(counted, {
      env: { ...env, COUNTED_PORT: '0' },
      bus,
      logger,
      defaults: { port: 0, databaseUrl: 'sqlite::memory:' },
    }),
    // All interfaces: Fastify would log a line for each address.
    await startService(edge, {
      env: { ...env, HOST: '0.0.0.0', EDGE_PORT: '0' },
      logger,
      defaults: { port: 0 },
    }),
  ]
  for (const service of started) await service.stop()
  await bus.close()

  const said = lines.map((line) => `${line.service}: ${line.msg}`)
  assert.deepEqual(said, [
    'counted: service started',
    'edge: service started',
    'counted: service stopped',
    'edge: service stopped',
  ])
  const [first] = lines
  assert.match(String(first?.url), /^http:\/\/127\.0\.0\.1:\d+$/)
  assert.equal(first?.database, 'sqlite::memory:')
})
