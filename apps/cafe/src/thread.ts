import { Worker } from 'node:worker_threads'
import type { Logger } from '@cafeteria/platform'
import { ConfigError } from '@cafeteria/platform/config'
import { sibling } from '@cafeteria/platform/modules'
import type { ThreadCommand, ThreadPlan, ThreadReport } from './embedded-thread.ts'

export interface RunningThread {
  readonly services: ReadonlyArray<{ name: string; url: string; host: string; stop(): Promise<void> }>
  stop(): Promise<void>
}

/**
 * Starts embedded-thread.ts with some of the services and waits until they listen. An error the
 * thread does not handle ends the process, as it would with one thread.
 */
export async function startThread(plan: ThreadPlan, logger: Logger): Promise<RunningThread> {
  const worker = new Worker(sibling(import.meta.url, 'embedded-thread'), { workerData: plan })
  const waiting = new Map<string, { resolve(): void; reject(error: Error): void }>()
  let starting: {
    resolve(services: ReadonlyArray<{ name: string; url: string; host: string }>): void
    reject(error: Error): void
  }
  const started = new Promise<ReadonlyArray<{ name: string; url: string; host: string }>>(
    (resolve, reject) => {
      starting = { resolve, reject }
    },
  )
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve))
  let stopping = false

  worker.on('message', (report: ThreadReport) => {
    if ('started' in report) starting.resolve(report.started)
    else if ('stopped' in report) {
      waiting.get(report.stopped)?.resolve()
      waiting.delete(report.stopped)
    } else {
      const error = report.problems
        ? new ConfigError(report.problems)
        : new Error(`embedded thread failed: ${report.failed}`)
      starting.reject(error)
      for (const w of waiting.values()) w.reject(error)
      waiting.clear()
    }
  })
  worker.on('error', (error) => {
    logger.fatal({ err: error }, 'embedded thread crashed')
    process.exit(1)
  })
  exited.then((code) => {
    if (stopping) return
    const error = new Error(`embedded thread exited with code ${code}`)
    starting.reject(error)
    for (const w of waiting.values()) w.reject(error)
  })

  const command = (stop: string) =>
    new Promise<void>((resolve, reject) => {
      waiting.set(stop, { resolve, reject })
      worker.postMessage({ stop } satisfies ThreadCommand)
    })
  const services = await started.catch(async (error: unknown) => {
    stopping = true
    await worker.terminate()
    throw error
  })
  return {
    services: services.map(({ name, url, host }) => ({ name, url, host, stop: () => command(name) })),
    async stop() {
      if (stopping) return
      stopping = true
      await command('*')
      // The thread ends once its services and bus are closed; a stuck handle must not hold the process.
      const timer = setTimeout(() => worker.terminate(), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}
