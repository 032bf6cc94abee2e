import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { sibling } from '@cafeteria/platform/modules'

/** The CLI's entry point: what `cafe <args>` runs. */
export const cafeCli = fileURLToPath(sibling(import.meta.url, 'cli'))

export interface CafeEntry {
  readonly path: string
  readonly nodeOptions?: readonly string[]
}

let bundled: Promise<CafeEntry> | undefined
const root = fileURLToPath(new URL('../../..', import.meta.url))

/**
 * What `npm start` runs: the server bundle with the Node options of the `start` script, which cap
 * each thread's heap. Its build runs first as `prestart` runs it, in a process of its own: a
 * bundler is a development tool, not something the CLI loads.
 */
export function npmStart(): Promise<CafeEntry> {
  bundled ??= (async () => {
    await promisify(execFile)(process.execPath, [join(root, 'apps/cafe/build.ts')], { cwd: root })
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'))
    const words = String(manifest.scripts.start).split(/\s+/)
    const nodeOptions = words.filter((w) => w.startsWith('--'))
    return { path: join(root, 'apps/cafe/dist/cli.js'), nodeOptions }
  })()
  return bundled
}

export interface CafeProcess {
  readonly child: ChildProcess
  readonly url: string
  /** Everything the process wrote, for failure messages. */
  output(): string
  /** Sends `signal` and waits for the exit; SIGKILL after `graceMs` if given and it is still running. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>
}

/**
 * Runs `cafe <args>` as a real process and waits for it to print where the gateway listens. From
 * the sources unless `entry` names another build of the CLI (the bundle `npm start` runs).
 */
export async function startCafe(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
  entry: CafeEntry = { path: cafeCli },
): Promise<CafeProcess> {
  const child = spawn(process.execPath, [...(entry.nodeOptions ?? []), entry.path, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`cafe ${args.join(' ')} did not start:\n${output}`)),
      timeoutMs,
    )
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /running \([a-z]+ mode\): (http:\/\/\S+)/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1].replace('localhost', '127.0.0.1'))
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`cafe ${args.join(' ')} exited with ${code}:\n${output}`))
    })
  }).catch((error: unknown) => {
    // A process that never came up must not outlive the caller.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    throw error
  })
  return {
    child,
    url,
    output: () => output,
    stop(signal: NodeJS.Signals = 'SIGTERM', graceMs?: number) {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      child.kill(signal)
      if (graceMs === undefined) return exited
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      return exited.finally(() => clearTimeout(timer))
    },
  }
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
