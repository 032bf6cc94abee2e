import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../apps/cafe/src/process.ts'
import { connectNats, natsSettings } from '../../packages/platform/src/index.ts'
import { type NatsAuthMode, natsAuthSetup } from './nats-auth.ts'

// The cluster lives with the bench because `cafe bench --scenario chaos` runs one too.
export {
  type Cluster,
  type ClusterOptions,
  type ServiceName,
  startCluster,
} from '../../apps/bench/src/cluster.ts'

/** A nats-server of the test's own (free port, own store directory) that the test can restart. */
export interface OwnNats {
  readonly url: string
  /** What a service needs to reach it: NATS_URL and, when it requires them, the right credentials. */
  readonly env: Record<string, string>
  restart(): Promise<void>
  stop(): Promise<void>
}

/** `auth`: the server requires clients to sign in that way (see nats-auth.ts). */
export async function startOwnNats(options: { auth?: NatsAuthMode } = {}): Promise<OwnNats> {
  const port = await freePort()
  const url = `nats://127.0.0.1:${port}`
  const store = await mkdtemp(join(tmpdir(), 'cafe-nats-'))
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store]
  const env: Record<string, string> = { NATS_URL: url }
  if (options.auth) {
    const setup = await natsAuthSetup(options.auth, store)
    await writeFile(join(store, 'nats.conf'), setup.config)
    args.push('-c', join(store, 'nats.conf'))
    Object.assign(env, setup.env)
  }
  const server = natsSettings(env)
  let child: ChildProcess | undefined
  const launch = async () => {
    child = spawn('/usr/sbin/nats-server', args, { stdio: 'ignore' })
    const deadline = Date.now() + 10_000
    for (;;) {
      const up = await connectNats(server)
        .then(async (nc) => {
          await nc.close()
          return true
        })
        .catch(() => false)
      if (up) return
      if (Date.now() > deadline) throw new Error('nats-server did not come up')
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  const halt = async () => {
    const running = child
    if (!running || running.exitCode !== null) return
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()))
    running.kill('SIGTERM')
    await exited
  }
  try {
    await launch()
  } catch (error) {
    await halt()
    await rm(store, { recursive: true, force: true })
    throw error
  }
  return {
    url,
    env,
    async restart() {
      await halt()
      await launch()
    },
    async stop() {
      await halt()
      await rm(store, { recursive: true, force: true })
    },
  }
}
