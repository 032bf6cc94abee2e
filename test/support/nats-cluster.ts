import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'

/**
 * A JetStream cluster of the test's own: `size` nats-server processes on ephemeral client and
 * cluster ports, each with its own store directory, routed to one another. A node can be killed
 * (SIGKILL: its store stays as a crash left it) and started again on the same ports and store.
 */
export interface NatsCluster {
  /** Every node's client URL, comma-separated, as NATS_URL takes them. */
  readonly url: string
  readonly names: readonly string[]
  kill(name: string): Promise<void>
  start(name: string): Promise<void>
  /** Waits until the cluster has a meta leader and every node answers the JetStream API. */
  ready(): Promise<void>
  /** A connection to the nodes that are up. */
  connect(): Promise<NatsConnection>
  stop(): Promise<void>
}

interface Node {
  readonly name: string
  readonly port: number
  readonly config: string
  child?: ChildProcess
}

const NATS_BIN = '/usr/sbin/nats-server'

export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const root = await mkdtemp(join(tmpdir(), 'cafe-nats-cluster-'))
  // Six ports, all held at once while chosen: ports picked one by one may repeat, and a node
  // that cannot bind its port exits, leaving the cluster one short.
  const free = await distinctPorts(size * 2)
  const ports = Array.from({ length: size }, (_, i) => ({
    client: free[2 * i] as number,
    cluster: free[2 * i + 1] as number,
  }))
  const routes = ports.map((p) => `nats://127.0.0.1:${p.cluster}`)
  const nodes: Node[] = await Promise.all(
    ports.map(async (p, i) => {
      const name = `n${i + 1}`
      const config = join(root, `${name}.conf`)
      await writeFile(
        config,
        [
          `server_name: ${name}`,
          `listen: 127.0.0.1:${p.client}`,
          `jetstream { store_dir: "${join(root, name)}" }`,
          `cluster { name: cafe-test, listen: 127.0.0.1:${p.cluster}, routes: [${routes.join(', ')}] }`,
        ].join('\n'),
      )
      return { name, port: p.client, config }
    }),
  )
  const url = nodes.map((n) => `nats://127.0.0.1:${n.port}`).join(',')
  const node = (name: string) => {
    const found = nodes.find((n) => n.name === name)
    if (!found) throw new Error(`no NATS node ${name}`)
    return found
  }

  const start = async (name: string) => {
    const n = node(name)
    if (n.child && n.child.exitCode === null && n.child.signalCode === null) return
    const child = spawn(NATS_BIN, ['-c', n.config], { stdio: ['ignore', 'ignore', 'pipe'] })
    n.child = child
    let said = ''
    child.stderr?.on('data', (chunk) => {
      said = (said + chunk).slice(-2000)
    })
    await waitUntil(`NATS node ${name} to accept clients`, 10_000, async () => {
      if (child.exitCode !== null) throw new Error(`NATS node ${name} exited: ${said}`)
      const nc = await connect({ servers: `nats://127.0.0.1:${n.port}` }).catch(() => undefined)
      await nc?.close()
      return nc !== undefined
    })
  }
  const kill = async (name: string) => {
    const { child } = node(name)
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGKILL')
    await exited
  }
  const connectUp = () => connect({ servers: url.split(','), maxReconnectAttempts: -1 })

  const cluster: NatsCluster = {
    url,
    names: nodes.map((n) => n.name),
    kill,
    start,
    connect: connectUp,
    async ready() {
      const nc = await connectUp()
      try {
        // The meta leader answers account info; until the nodes elect one, JetStream has no API.
        await waitUntil('the NATS cluster to elect a meta leader', 30_000, async () => {
          const jsm = await jetstreamManager(nc, { timeout: 2_000 }).catch(() => undefined)
          return (await jsm?.getAccountInfo().catch(() => undefined)) !== undefined
        })
      } finally {
        await nc.close()
      }
    },
    async stop() {
      await Promise.all(nodes.map((n) => kill(n.name)))
      await rm(root, { recursive: true, force: true })
    },
  }
  try {
    await Promise.all(nodes.map((n) => start(n.name)))
    await cluster.ready()
  } catch (error) {
    await cluster.stop()
    throw error
  }
  return cluster
}

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(100)
  }
}

async function distinctPorts(count: number): Promise<number[]> {
  const servers: Server[] = []
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer()
      servers.push(server)
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    }
    return servers.map((server) => (server.address() as { port: number }).port)
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  }
}
