import { Worker } from 'node:worker_threads'
import { sibling } from '../modules.ts'

export interface Checkpointer {
  stop(): Promise<void>
}

/**
 * Copies the write-ahead logs of SQLite files back into the files from a thread of its own.
 * Otherwise every thousandth page makes a commit run the checkpoint in line, with its two fsyncs,
 * and the thread that serves requests waits for the disk. Passive checkpoints wait for no writer;
 * should this thread fall behind, the writers' automatic checkpoint still bounds the log.
 */
export function startCheckpointer(files: readonly string[], everyMs = 500): Checkpointer {
  const worker = new Worker(sibling(import.meta.url, 'checkpoint-thread'), {
    workerData: { files, everyMs },
  })
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  worker.unref()
  return {
    async stop() {
      worker.postMessage('stop')
      const timer = setTimeout(() => worker.terminate(), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}
