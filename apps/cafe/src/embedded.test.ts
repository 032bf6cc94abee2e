import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ephemeralPorts, order } from '@cafeteria/cafe/testing'
import { ConfigError, createLogger } from '@cafeteria/platform'
import { accepts, call, otherLoopback, waitFor } from '@cafeteria/platform/testing'
import { startEmbedded } from './embedded.ts'

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
// Open mode: these place orders and read tickets without signing in.
const openPorts = { ...ephemeralPorts, OPEN_API: 'true' }

test('with a data directory the services share two threads: an order placed on one is paid, ticketed and shown on My Page by the other', async (t) => {
  if (availableParallelism() < 2) {
    // One core: one thread is the right choice, and there is nothing to spread.
    const system = await startEmbedded({ ...openPorts, CAFE_DATA_DIR: ':memory:' }, logger)
    assert.equal(system.threads, 1)
    await system.stop()
    return
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'cafe-threads-'))
  t.after(() => rm(dataDir, { recursive: true, force: true }))
  const system = await startEmbedded({ ...openPorts, CAFE_DATA_DIR: dataDir }, logger)
  try {
    assert.equal(system.threads, 2)
    const placed = await call(`${system.url}/orders`, {
      method: 'POST',
      json: order({ phoneNumber: '01055501234' }),
    })
    assert.equal(placed.status, 201)
    const id = placed.body.id as number
    const ticket = await waitFor(async () => {
      const drinks = await call(`${system.url}/drinks/search/findByOrderId?orderId=${id}`)
      return drinks.body._embedded?.drinks?.[0]
    }, 10_000)
    assert.equal(ticket.status, 'PaymentApproved')
    const page = await waitFor(async () => {
      const pages = await call(`${system.url}/mypages/search/findByPhoneNumber?phoneNumber=01055501234`)
      return Array.isArray(pages.body) && pages.body.length > 0 && pages.body
    }, 10_000)
    assert.equal(page[0].orderId, id)
  } finally {
    await system.stop()
  }

  // The second thread's services stopped with the system: the files are free for a restart.
  const again = await startEmbedded({ ...openPorts, CAFE_DATA_DIR: dataDir, CAFE_THREADS: '1' }, logger)
  try {
    assert.equal(again.threads, 1)
    const drinks = await call(`${again.url}/drinks`)
    assert.equal(drinks.status, 200)
    assert.equal(drinks.body._embedded.drinks.length, 1, 'the ticket survived the restart')
  } finally {
    await again.stop()
  }
})

test('in memory the system runs in one thread; CAFE_THREADS other than 1 or 2, or a CAFE_HANDLER_DEADLINE_MS that is not a number, stops the start with a message', async () => {
  const system = await startEmbedded({ ...openPorts, CAFE_DATA_DIR: ':memory:' }, logger)
  assert.equal(system.threads, 1)
  await system.stop()
  await assert.rejects(
    startEmbedded({ ...openPorts, CAFE_DATA_DIR: ':memory:', CAFE_THREADS: '3' }, logger),
    (error: unknown) => error instanceof ConfigError && /CAFE_THREADS: "3" is not 1 or 2/.test(error.message),
  )
  await assert.rejects(
    startEmbedded({ ...openPorts, CAFE_DATA_DIR: ':memory:', CAFE_HANDLER_DEADLINE_MS: 'soon' }, logger),
    (error: unknown) =>
      error instanceof ConfigError &&
      /CAFE_HANDLER_DEADLINE_MS: "soon" is not a whole number/.test(error.message),
  )
})

test('only the gateway listens beyond loopback: every service binds 127.0.0.1, the gateway HOST (all interfaces by default)', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'cafe-bind-'))
  t.after(() => rm(dataDir, { recursive: true, force: true }))
  // HOST unset: the gateway's default; the second thread's services are among those checked.
  const { HOST: _host, ...ports } = ephemeralPorts
  const system = await startEmbedded({ ...ports, OPEN_API: 'true', CAFE_DATA_DIR: dataDir }, logger)
  try {
    const gateway = system.running.find((s) => s.name === 'gateway')
    assert.equal(gateway?.host, '0.0.0.0')
    const services = system.running.filter((s) => s !== gateway)
    assert.equal(services.length, 5)
    for (const service of services) assert.equal(service.host, '127.0.0.1', service.name)

    // And as a client finds them: through another address of this host only the gateway answers.
    if (otherLoopback) {
      const port = (url: string) => Number(new URL(url).port)
      assert.equal(await accepts(otherLoopback, port(system.url)), true, 'the gateway')
      for (const service of services) {
        assert.equal(await accepts('127.0.0.1', port(service.url)), true, service.name)
        assert.equal(await accepts(otherLoopback, port(service.url)), false, service.name)
      }
    }
  } finally {
    await system.stop()
  }
})

test('the bus log is fsynced at every publish in both threads, whatever SQLITE_SYNC says of the services: its readiness reads synchronous FULL from the connection', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'cafe-durable-'))
  t.after(() => rm(dataDir, { recursive: true, force: true }))
  // The services' own files stay NORMAL; the relay deletes an outbox row once the log has it on disk.
  const system = await startEmbedded(
    { ...openPorts, CAFE_DATA_DIR: dataDir, CAFE_THREADS: '2', SQLITE_SYNC: 'normal' },
    logger,
  )
  try {
    const services = system.running.filter((s) => s.name !== 'gateway')
    assert.equal(services.length, 5)
    for (const service of services) {
      const ready = await call(`${service.url}/health/ready`)
      assert.equal(ready.status, 200, service.name)
      assert.equal(
        ready.body.checks.bus.detail,
        `local log at ${join(dataDir, 'bus.db')}, synchronous full`,
        service.name,
      )
    }
  } finally {
    await system.stop()
  }
})
