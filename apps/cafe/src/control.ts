import { unlink } from 'node:fs/promises'
import { createServer, request } from 'node:http'
import { connect } from 'node:net'
import type { Logger } from '@cafeteria/platform'
import type { DistributedSystem, RolloutStep } from './distributed.ts'

/**
 * The runner's control channel: HTTP over a unix socket in its run directory, so only users of
 * this machine who can open that directory reach it, and a second runner on the same directory
 * is refused instead of taking it over.
 *
 *   GET  /replicas            every service's replicas: slot, URL, pid
 *   POST /restart/<service>   a rolling restart; the answer streams its steps as JSON lines and
 *                             ends with {"step":"done"} or {"step":"failed","error":…}
 */
export interface ControlServer {
  close(): Promise<void>
}

export async function startControlServer(
  socketPath: string,
  system: Pick<DistributedSystem, 'status' | 'restart'>,
  log: Logger,
): Promise<ControlServer> {
  if (await answers(socketPath)) throw new Error(`another runner is using ${socketPath}`)
  await unlink(socketPath).catch(() => undefined)
  const server = createServer((req, res) => {
    const restart = /^\/restart\/([a-z]+)$/.exec(req.url ?? '')
    if (req.method === 'GET' && req.url === '/replicas') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(system.status()))
    } else if (req.method === 'POST' && restart?.[1]) {
      const service = restart[1]
      let streaming = false
      const send = (step: RolloutStep) => {
        if (!streaming) res.writeHead(200, { 'content-type': 'application/x-ndjson' })
        streaming = true
        res.write(`${JSON.stringify(step)}\n`)
      }
      system.restart(service, send).then(
        () => {
          send({ step: 'done', service })
          res.end()
        },
        (error: Error & { status?: number }) => {
          log.error({ service, err: error }, 'rolling restart failed')
          if (!streaming) res.writeHead(error.status ?? 500, { 'content-type': 'application/x-ndjson' })
          res.end(`${JSON.stringify({ step: 'failed', service, error: error.message })}\n`)
        },
      )
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such command"}')
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, resolve)
  })
  log.info({ socket: socketPath }, 'control channel listening')
  return {
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await unlink(socketPath).catch(() => undefined)
    },
  }
}

/** Whether something listens on the socket (a stale file from a killed runner does not). */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/**
 * `cafe restart <service>`: asks the runner for a rolling restart and prints each step as it
 * happens. Resolves with the exit code: 0 once every replica was replaced.
 */
export function requestRestart(
  socketPath: string,
  service: string,
  out: NodeJS.WritableStream,
): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      { socketPath, method: 'POST', path: `/restart/${encodeURIComponent(service)}` },
      (res) => {
        let buffered = ''
        let code = 1
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          buffered += chunk
          for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
            const step = JSON.parse(buffered.slice(0, end)) as RolloutStep
            buffered = buffered.slice(end + 1)
            if (step.step === 'done') code = 0
            out.write(`${describeStep(step)}\n`)
          }
        })
        res.on('end', () => resolve(code))
      },
    )
    req.on('error', (error) => {
      out.write(`no runner answers at ${socketPath} (${error.message}); is start --distributed running?\n`)
      resolve(1)
    })
    req.end()
  })
}

function describeStep(step: RolloutStep): string {
  const where = `${step.service} replica ${step.replica}`
  switch (step.step) {
    case 'starting':
      return `${where}: starting a new process at ${step.url}`
    case 'ready':
      return `${where}: new process ${step.pid} ready at ${step.url}, now in rotation`
    case 'draining':
      return `${where}: old process ${step.pid} at ${step.url} draining`
    case 'replaced':
      return `${where}: old process ${step.pid} exited`
    case 'done':
      return `${step.service}: every replica replaced`
    case 'failed':
      return `${step.service}: restart failed: ${step.error}`
    default:
      return JSON.stringify(step)
  }
}
