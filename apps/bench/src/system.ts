import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CafeProcess, freePort, npmStart, startCafe } from '@cafeteria/cafe/process'
import { services } from '@cafeteria/cafe/services'
import { connectNats, type NatsServer, natsSettings } from '@cafeteria/platform'
import { jetstreamManager } from '@nats-io/jetstream'
import { createConnection } from 'mysql2/promise'
import pg from 'pg'
import type { Mode } from './options.ts'

const serviceNames = services.map((s) => s.definition.name)
const postgresAdmin = 'postgres://postgres@127.0.0.1:5432/postgres'

export interface SystemUnderTest {
  readonly url: string
  readonly pid: number | undefined
  /** performance.now() just before the process was spawned, for the time to start. */
  readonly spawnedAt: number
  /** SIGTERM, wait for the exit, then remove everything the run created. */
  stop(): Promise<{ exitCode: number | null; shutdownMs: number }>
}

/**
 * The system as a separate real process with a store nobody else uses, on free ports, so a copy
 * running on the default ports does not matter. `BENCH_NODE_OPTIONS` becomes the system's
 * NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=prof`) without profiling the load generator too.
 */
export async function startSystem(mode: Mode): Promise<SystemUnderTest> {
  // All the load comes from this one address: open mode has no rate limits, and no stream cap either.
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    OPEN_API: 'true',
    LIVE_MAX_PER_ADDRESS: '0',
  }
  for (const name of ['gateway', ...serviceNames])
    env[`${name.toUpperCase()}_PORT`] = String(await freePort())
  const nodeOptions = process.env.BENCH_NODE_OPTIONS
  if (nodeOptions) env.NODE_OPTIONS = nodeOptions
  return mode === 'embedded' ? startEmbeddedSystem(env) : startDistributedSystem(env)
}

async function startEmbeddedSystem(env: Record<string, string>): Promise<SystemUnderTest> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cafe-bench-'))
  const cleanUp = () => rm(dataDir, { recursive: true, force: true })
  const entry = await npmStart()
  const spawnedAt = performance.now()
  const cafe = await startCafe(['start'], { ...env, CAFE_DATA_DIR: dataDir }, 60_000, entry).catch(
    async (error) => {
      await cleanUp()
      throw error
    },
  )
  return wrap(cafe, cleanUp, spawnedAt)
}

async function startDistributedSystem(env: Record<string, string>): Promise<SystemUnderTest> {
  const suffix = randomBytes(4).toString('hex')
  const stream = `BENCH_${suffix.toUpperCase()}`
  // The services inherit NATS_URL and the credentials; the bench signs in with the same ones.
  const nats = natsSettings(process.env)
  // Each service on the product it runs on (point on MariaDB), in a database of this run's own.
  const databases = services.map(({ definition: { name }, distributedDatabase }) => {
    const url = new URL(distributedDatabase)
    url.pathname = `/cafe_bench_${suffix}_${name}`
    env[`${name.toUpperCase()}_DATABASE_URL`] = url.toString()
    return url
  })
  Object.assign(env, { NATS_STREAM: stream })
  // The services create their databases and the stream themselves; the bench only removes them.
  const cleanUp = async () => {
    await dropDatabases(databases)
    await deleteStream(nats, stream)
  }
  const entry = await npmStart()
  const spawnedAt = performance.now()
  const cafe = await startCafe(['start', '--distributed'], env, 60_000, entry).catch(async (error) => {
    await cleanUp()
    throw error
  })
  return wrap(cafe, cleanUp, spawnedAt)
}

function wrap(cafe: CafeProcess, cleanUp: () => Promise<void>, spawnedAt: number): SystemUnderTest {
  return {
    url: cafe.url,
    pid: cafe.child.pid,
    spawnedAt,
    async stop() {
      const started = Date.now()
      // Services drain for up to SHUTDOWN_TIMEOUT_MS (10 s) each; past a minute something is stuck.
      const exitCode = await cafe.stop('SIGTERM', 60_000)
      const shutdownMs = Date.now() - started
      await cleanUp()
      if (exitCode !== 0) process.stderr.write(`system exited with ${exitCode}:\n${tail(cafe.output())}\n`)
      return { exitCode, shutdownMs }
    },
  }
}

async function dropDatabases(urls: readonly URL[]): Promise<void> {
  const name = (url: URL) => url.pathname.slice(1)
  const admin = new pg.Client({ connectionString: postgresAdmin })
  await admin.connect()
  try {
    for (const url of urls.filter((u) => u.protocol.startsWith('postgres'))) {
      await admin.query(`drop database if exists "${name(url)}" with (force)`)
    }
  } finally {
    await admin.end()
  }
  const maria = await createConnection({ host: '127.0.0.1', user: 'root' })
  try {
    for (const url of urls.filter((u) => u.protocol === 'mysql:'))
      await maria.query(`drop database if exists \`${name(url)}\``)
  } finally {
    await maria.end()
  }
}

async function deleteStream(server: NatsServer, stream: string): Promise<void> {
  const nc = await connectNats(server)
  try {
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined)
  } finally {
    await nc.close()
  }
}

const tail = (text: string, lines = 20) => text.trimEnd().split('\n').slice(-lines).join('\n')
