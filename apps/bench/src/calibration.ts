import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type LoadResult, runLoad } from './load.ts'

const script = fileURLToPath(new URL('./calibration-server.ts', import.meta.url))

export interface Calibration {
  readonly reqPerSec: number
  readonly p50: number
  readonly p99: number
  readonly errors: number
  readonly durationS: number
  readonly otherCpu: number | undefined
}

/** H: what a bare node:http server answers per second here, with the same load generator. */
export async function calibrate(connections: number, durationS: number): Promise<Calibration> {
  const child = fork(script, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (message: { port: number }) => resolve(message.port))
      child.once('exit', (code) => reject(new Error(`calibration server exited with ${code}`)))
    })
    const url = `http://127.0.0.1:${port}`
    // The same request as the real run, so parsing and sending cost the same on the client side.
    const result: LoadResult = await runLoad({ url, connections, durationS, label: 'calibration' })
    return {
      reqPerSec: round(result.completed / result.durationS),
      p50: result.p50,
      p99: result.p99,
      errors: result.errors,
      durationS: result.durationS,
      otherCpu: result.cpu?.otherCores,
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
  }
}

/** A calibration as the JSON summaries show it. */
export const calibrationView = (c: Calibration) => ({
  reqPerSec: c.reqPerSec,
  p50: c.p50,
  p99: c.p99,
  errors: c.errors,
  durationS: c.durationS,
  otherCpu: c.otherCpu ?? null,
})

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits
