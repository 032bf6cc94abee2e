import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url))

export interface CafeProcess {
  readonly child: ChildProcess
  readonly url: string
  /** Everything the process wrote, for failure messages. */
  output(): string
  /** Sends `signal` and waits for the exit; SIGKILL after `graceMs` if given and it is still running. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>
}

/** Runs `cafe <args>` as a real process and waits for it to print where the gateway listens. */
export async function startCafe(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<CafeProcess> {
  const child = spawn(process.execPath, [cli, ...args], {
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
