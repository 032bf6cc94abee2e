import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Env, Logger } from '@cafeteria/platform'
import { GATEWAY_PORT, services, urlVariable } from './services.ts'

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url))

export interface DistributedSystem {
  readonly url: string
  stop(): Promise<void>
}

/**
 * Distributed mode on one machine: a process per service, as on Kubernetes, against the
 * PostgreSQL, MariaDB and NATS servers named by the environment.
 */
export async function startDistributed(env: Env, logger: Logger): Promise<DistributedSystem> {
  const port = (name: string, fallback: number) => Number(env[`${name.toUpperCase()}_PORT`] ?? fallback)
  const url = (name: string, fallback: number) => `http://127.0.0.1:${port(name, fallback)}`
  const wiring = Object.fromEntries(
    services.map(({ definition: { name }, port: fallback }) => [
      urlVariable(name),
      env[urlVariable(name)] ?? url(name, fallback),
    ]),
  )
  const children: ChildProcess[] = []
  const stop = async () => {
    for (const child of [...children].reverse()) await terminate(child)
  }
  try {
    const plan = [
      ...services.map((s) => ({ name: s.definition.name, port: s.port })),
      { name: 'gateway', port: GATEWAY_PORT },
    ]
    for (const { name, port: fallback } of plan) {
      const child = spawn(process.execPath, [cli, 'serve', name], {
        env: { ...env, ...wiring },
        stdio: ['ignore', 'inherit', 'inherit'],
      })
      children.push(child)
      await waitReady(child, name, url(name, fallback))
      logger.info({ service: name, pid: child.pid, url: url(name, fallback) }, 'service process ready')
    }
    return { url: url('gateway', GATEWAY_PORT), stop }
  } catch (error) {
    await stop()
    throw error
  }
}

async function waitReady(child: ChildProcess, name: string, base: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} during start-up`)
    const ok = await fetch(`${base}/health/ready`)
      .then((r) => r.ok)
      .catch(() => false)
    if (ok) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${name} was not ready at ${base} within ${timeoutMs} ms`)
}

/** SIGTERM lets the service drain; SIGKILL only if it does not exit in time. */
async function terminate(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}
