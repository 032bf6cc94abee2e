import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { cafeCli, freePort } from '@cafeteria/cafe/process'
import { services } from '@cafeteria/cafe/services'
import { connectNats, natsSettings } from '@cafeteria/platform'
import { jetstreamManager } from '@nats-io/jetstream'
import { createConnection } from 'mysql2/promise'
import pg from 'pg'

/**
 * Distributed mode for fault injection: every service a real process (`cafe serve`) on a port of
 * its own, its own databases (PostgreSQL, MariaDB for point) and JetStream stream, so a test (or
 * `cafe bench --scenario chaos`) can kill, pause, restart or cut off any one of them. Nothing here
 * is a switch inside the services: faults come from outside, as they would in production.
 */
export type ServiceName = 'gateway' | 'order' | 'payment' | 'drink' | 'customercenter' | 'point'
const backEnds = services.map((s) => s.definition.name as ServiceName)

export interface Cluster {
  readonly gatewayUrl: string
  /** The JetStream stream of this cluster's events (its own, `FAULT_xxx`). */
  readonly stream: string
  url(service: ServiceName): string
  /** Extra environment for the service's next start (e.g. a proxy's address as order's PAYMENT_URL). */
  setEnv(service: ServiceName, env: Record<string, string>): void
  /** Starts (or restarts) a service's process and waits until it is ready. */
  start(service: ServiceName): Promise<void>
  /** Sends the signal and waits for the process to exit (SIGTERM: graceful; SIGKILL: a crash). */
  stop(service: ServiceName, signal?: NodeJS.Signals): Promise<void>
  /** SIGSTOP / SIGCONT: a frozen process that keeps its connections. */
  pause(service: ServiceName): void
  resume(service: ServiceName): void
  output(service: ServiceName): string
  close(): Promise<void>
}

export interface ClusterOptions {
  /** Default: NATS_URL, else the usual local server; any credentials come from NATS_* as for a service. */
  readonly natsUrl?: string
  /** JETSTREAM_REPLICAS of every service: more than 1 needs `natsUrl` to be a cluster. */
  readonly jetStreamReplicas?: number
  /**
   * Environment for every service: how it is reached and who may call it (for secure mode, the
   * phone inbox, staff token and sessions' secret of `startSecureAccess`; `OPEN_API` for open mode).
   */
  readonly access: Record<string, string>
  /** Extra environment per service, e.g. a proxy's address as order's PAYMENT_URL. */
  readonly env?: Partial<Record<ServiceName, Record<string, string>>>
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const suffix = randomUUID().slice(0, 8)
  const natsUrl = options.natsUrl ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222'
  const stream = `FAULT_${suffix.toUpperCase()}`
  const ports = Object.fromEntries(
    await Promise.all(
      (['gateway', ...backEnds] as ServiceName[]).map(async (s) => [s, await freePort()] as const),
    ),
  ) as Record<ServiceName, number>
  const url = (s: ServiceName) => `http://127.0.0.1:${ports[s]}`
  const databases = services.map(({ definition: { name }, distributedDatabase }) => {
    const db = new URL(distributedDatabase)
    db.pathname = `/cafe_fault_${suffix}_${name}`
    return [name, db] as const
  })
  const shared: Record<string, string> = {
    ...options.access,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    NATS_URL: natsUrl,
    NATS_STREAM: stream,
    OUTBOX_POLL_MS: '200',
    NATS_ACK_WAIT_MS: '3000',
    ...(options.jetStreamReplicas && { JETSTREAM_REPLICAS: String(options.jetStreamReplicas) }),
  }
  for (const s of ['gateway', ...backEnds] as ServiceName[]) {
    shared[`${s.toUpperCase()}_PORT`] = String(ports[s])
    shared[`${s.toUpperCase()}_URL`] = url(s)
  }
  for (const [name, db] of databases) shared[`${name.toUpperCase()}_DATABASE_URL`] = db.toString()

  const processes = new Map<ServiceName, { child: ChildProcess; output: string }>()
  const extra: Partial<Record<ServiceName, Record<string, string>>> = { ...options.env }

  async function start(service: ServiceName): Promise<void> {
    const child = spawn(process.execPath, [cafeCli, 'serve', service], {
      env: { ...process.env, ...shared, ...extra[service] },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const entry = { child, output: '' }
    const keep = (chunk: Buffer) => {
      entry.output = (entry.output + chunk.toString()).slice(-20_000)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    processes.set(service, entry)
    const deadline = Date.now() + 30_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${service} exited during start-up:\n${entry.output}`)
      const ready = await fetch(`${url(service)}/health/ready`)
        .then((r) => r.ok)
        .catch(() => false)
      if (ready) return
      if (Date.now() > deadline) throw new Error(`${service} not ready in 30 s:\n${entry.output}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  async function stop(service: ServiceName, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const entry = processes.get(service)
    if (!entry || entry.child.exitCode !== null || entry.child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => entry.child.once('exit', () => resolve()))
    entry.child.kill('SIGCONT')
    entry.child.kill(signal)
    await exited
  }

  const cluster: Cluster = {
    gatewayUrl: url('gateway'),
    stream,
    url,
    setEnv: (service, env) => {
      extra[service] = { ...extra[service], ...env }
    },
    start,
    stop,
    pause: (service) => processes.get(service)?.child.kill('SIGSTOP'),
    resume: (service) => processes.get(service)?.child.kill('SIGCONT'),
    output: (service) => processes.get(service)?.output ?? '',
    async close() {
      for (const service of [...processes.keys()].reverse()) await stop(service, 'SIGKILL')
      await dropAll(databases, natsUrl, stream)
    },
  }
  try {
    // Callees before callers, as `start --distributed` does.
    for (const service of [...backEnds, 'gateway'] as ServiceName[]) await start(service)
  } catch (error) {
    await cluster.close()
    throw error
  }
  return cluster
}

async function dropAll(databases: ReadonlyArray<readonly [string, URL]>, natsUrl: string, stream: string) {
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' })
  await admin.connect()
  const maria = await createConnection({ host: '127.0.0.1', user: 'root' })
  try {
    for (const [, db] of databases) {
      const name = db.pathname.slice(1)
      if (db.protocol === 'mysql:') await maria.query(`drop database if exists \`${name}\``)
      else await admin.query(`drop database if exists "${name}" with (force)`)
    }
  } finally {
    await admin.end()
    await maria.end()
  }
  // Signed in as the services are: they inherit this process's NATS_* settings.
  const nc = await connectNats(natsSettings({ ...process.env, NATS_URL: natsUrl })).catch(() => undefined)
  if (!nc) return
  await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined)
  await nc.close()
}
