import { mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import {
  ConfigError,
  configReader,
  type Env,
  type Logger,
  readNatsSettings,
  sibling,
} from '@cafeteria/platform'
import { type ControlServer, startControlServer } from './control.ts'
import { freePort } from './process.ts'
import { type KeptToken, withLocalSecrets } from './secrets.ts'
import { GATEWAY_PORT, services, urlVariable } from './services.ts'
import { type Supervised, supervise } from './supervisor.ts'

const cli = fileURLToPath(sibling(import.meta.url, 'cli'))

export interface DistributedOptions {
  /** Processes per back-end service (`--replicas point=2,order=2`); one for any not named. */
  readonly replicas?: Readonly<Record<string, number>>
  /** Where the control socket and the replicas file live; see `defaultRunDir`. */
  readonly runDir?: string
}

export interface ReplicaStatus {
  readonly replica: number
  readonly url: string
  readonly pid: number | undefined
}

/** One step of a rolling restart, as the `restart` command shows it. */
export type RolloutStep = { readonly step: string } & Record<string, unknown>

export interface DistributedSystem {
  readonly url: string
  readonly runDir: string
  /** The staff token this run made or kept (none given, not in open mode), for the banner. */
  readonly staffToken: KeptToken | undefined
  status(): Record<string, ReplicaStatus[]>
  /** Replaces the service's replicas one at a time; see `rollout` below. */
  restart(service: string, report: (step: RolloutStep) => void): Promise<void>
  stop(): Promise<void>
}

/**
 * `--run-dir`, else `CAFE_RUN_DIR`, else `./run/<gateway port>`: a runner per gateway port, so a
 * second system on other ports (a test beside a running copy) never shares the first one's.
 */
export const defaultRunDir = (env: Env, given?: string) =>
  resolve(given ?? env.CAFE_RUN_DIR ?? join('run', env.GATEWAY_PORT ?? String(GATEWAY_PORT)))

/** `point=2,order=2` → `{ point: 2, order: 2 }`; only back-end services, 1–16 each. */
export function parseReplicas(text: string): Record<string, number> {
  const counts: Record<string, number> = {}
  const problems: string[] = []
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const [name = '', count = ''] = part.split('=').map((s) => s.trim())
    if (name === 'gateway') problems.push('--replicas: the gateway runs once: it is the one port clients use')
    else if (!services.some((s) => s.definition.name === name))
      problems.push(`--replicas: unknown service "${name}"`)
    else if (!/^\d+$/.test(count) || Number(count) < 1 || Number(count) > 16)
      problems.push(`--replicas: "${part}" needs a count from 1 to 16, as in ${name}=2`)
    else counts[name] = Number(count)
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return counts
}

/**
 * Distributed mode on one machine: a process per service replica, as on Kubernetes, against the
 * PostgreSQL, MariaDB and NATS servers named by the environment. Each process is supervised
 * (restarted with backoff when it dies); the gateway and the order service balance over the
 * replicas of the services they call, following `<run dir>/replicas.json`, which the runner
 * rewrites when a rolling restart swaps a replica for a new one. `cafe restart <service>` asks
 * for that over `<run dir>/control.sock`.
 */
export async function startDistributed(
  env: Env,
  logger: Logger,
  options: DistributedOptions = {},
): Promise<DistributedSystem> {
  const read = configReader(env)
  const shutdownDelayMs = read.int('SHUTDOWN_DELAY_MS', 2000)
  const shutdownTimeoutMs = read.int('SHUTDOWN_TIMEOUT_MS', 10_000)
  // Every back end would refuse contradictory NATS settings; said once here, before any starts.
  readNatsSettings(read)
  read.done()
  // A process gets its whole drain and a margin before it is killed.
  const graceMs = shutdownDelayMs + shutdownTimeoutMs + 5000
  const runDir = defaultRunDir(env, options.runDir)
  await mkdir(runDir, { recursive: true })
  // On one machine the runner keeps the sessions' secret and the staff token where embedded mode
  // keeps them.
  const dataDir = env.CAFE_DATA_DIR === ':memory:' ? undefined : resolve(env.CAFE_DATA_DIR ?? 'data')
  if (dataDir) await mkdir(dataDir, { recursive: true })
  const secrets = withLocalSecrets(env, dataDir)
  env = secrets.env
  const replicasFile = join(runDir, 'replicas.json')
  const log = logger.child({ component: 'runner' })
  const urlOf = (port: number) => `http://127.0.0.1:${port}`

  // Replica 0 on the service's configured port, further ones on free ports.
  const plan = new Map<string, number[]>()
  for (const { definition, port } of services) {
    const name = definition.name
    const first = Number(env[`${name.toUpperCase()}_PORT`] ?? port)
    const more = await Promise.all(
      Array.from({ length: (options.replicas?.[name] ?? 1) - 1 }, () => freePort()),
    )
    plan.set(name, [first, ...more])
  }
  // A URL set by hand (a service run elsewhere) is left alone; the others follow the replicas.
  const managed = services.map((s) => s.definition.name).filter((name) => !env[urlVariable(name)])
  const wiring: Record<string, string> = { REPLICAS_FILE: replicasFile }
  for (const name of managed) wiring[urlVariable(name)] = (plan.get(name) ?? []).map(urlOf).join(',')

  const slots = new Map<string, Supervised[]>()
  const publish = async () => {
    const lists: Record<string, string[]> = {}
    for (const name of managed) lists[name] = (slots.get(name) ?? []).map((s) => s.url)
    // Readers poll the file: a rename replaces it whole, never half-written.
    await writeFile(`${replicasFile}.next`, `${JSON.stringify(lists, null, 2)}\n`)
    await rename(`${replicasFile}.next`, replicasFile)
  }
  const launch = (name: string, replica: number, port: number) =>
    supervise({
      service: name,
      replica,
      command: process.execPath,
      args: [cli, 'serve', name],
      env: { ...env, ...wiring, [`${name.toUpperCase()}_PORT`]: String(port) },
      url: urlOf(port),
      log,
    })
  const started = async (name: string, replica: number, port: number) => {
    const child = launch(name, replica, port)
    try {
      await child.ready()
    } catch (error) {
      await child.stop(graceMs)
      throw error
    }
    log.info({ service: name, replica, pid: child.pid, url: child.url }, 'service process ready')
    return child
  }

  let control: ControlServer | undefined
  const everything = () => [...slots.values()].flat()
  const stop = async () => {
    await control?.close()
    await rm(replicasFile, { force: true })
    // The entry point first, so nothing new comes in; then every back end, each draining.
    const gateway = slots.get('gateway') ?? []
    await Promise.all(gateway.map((s) => s.stop(graceMs)))
    await Promise.all(
      everything()
        .filter((s) => !gateway.includes(s))
        .map((s) => s.stop(graceMs)),
    )
    // Gone once empty: what `cafe restart` finds there would be stale.
    await rmdir(runDir).catch(() => undefined)
  }

  const restarting = new Set<string>()
  /**
   * Surge, one replica at a time: a new process on a new port; once it is ready it replaces the
   * old one in the replicas file; then the old one drains (SIGTERM: not ready at once, serving
   * for SHUTDOWN_DELAY_MS while balancers notice, then finishing what it has) and exits.
   */
  const restart = async (name: string, report: (step: RolloutStep) => void) => {
    const current = slots.get(name)
    if (!current || name === 'gateway')
      throw new RolloutRefused(404, `no back-end service "${name}" (the gateway is not restarted this way)`)
    if (restarting.has(name)) throw new RolloutRefused(409, `a restart of ${name} is already under way`)
    restarting.add(name)
    try {
      log.info({ service: name, replicas: current.length }, 'rolling restart started')
      for (let replica = 0; replica < current.length; replica++) {
        const old = current[replica] as Supervised
        const port = await freePort()
        report({ step: 'starting', service: name, replica, url: urlOf(port) })
        const fresh = await started(name, replica, port)
        current[replica] = fresh
        await publish()
        report({ step: 'ready', service: name, replica, url: fresh.url, pid: fresh.pid })
        // Balancers poll the file every 200 ms; the old replica's drain covers any that are late.
        await sleep(500)
        report({ step: 'draining', service: name, replica, url: old.url, pid: old.pid })
        await old.stop(graceMs)
        report({ step: 'replaced', service: name, replica, url: old.url, pid: old.pid })
      }
      log.info({ service: name }, 'rolling restart done')
    } finally {
      restarting.delete(name)
    }
  }

  const system: DistributedSystem = {
    url: urlOf(Number(env.GATEWAY_PORT ?? GATEWAY_PORT)),
    runDir,
    staffToken: secrets.staffToken,
    status: () =>
      Object.fromEntries(
        [...slots].map(([name, list]) => [
          name,
          list.map((s, replica) => ({ replica, url: s.url, pid: s.pid })),
        ]),
      ),
    restart,
    stop,
  }
  try {
    for (const name of managed) slots.set(name, [])
    await publish()
    // Callees before callers; a service's first replica before the others (it creates the
    // database and runs the migrations), the others together.
    for (const [name, ports] of plan) {
      const [first, ...more] = ports as [number, ...number[]]
      const list: Supervised[] = []
      slots.set(name, list)
      list.push(await started(name, 0, first))
      list.push(...(await Promise.all(more.map((port, i) => started(name, i + 1, port)))))
      if (managed.includes(name)) await publish()
    }
    slots.set('gateway', [await started('gateway', 0, Number(env.GATEWAY_PORT ?? GATEWAY_PORT))])
    control = await startControlServer(join(runDir, 'control.sock'), system, log)
    return system
  } catch (error) {
    await stop()
    throw error
  }
}

/** A restart that cannot be done: the HTTP status the control channel answers with. */
export class RolloutRefused extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.name = 'RolloutRefused'
    this.status = status
  }
}
