import { connect, createServer, type Server, type Socket } from 'node:net'

/**
 * A TCP proxy the test controls, to inject faults between two real processes without any switch
 * in production code: pass through, hold every new request for a while (a frozen or overloaded
 * callee that still carries the request out later), or refuse connections (the callee is down).
 */
export interface ProxyTarget {
  readonly host: string
  readonly port: number
}

export interface FaultProxy {
  readonly url: string
  /**
   * Delay, in ms, before each request's bytes reach the callee (kept in order); 0 passes at once.
   * A function is asked again for every chunk, e.g. for a random delay within a range.
   */
  delay(ms: number | (() => number)): void
  /** While down, new connections are closed at once. */
  down(isDown: boolean): void
  close(): Promise<void>
}

/**
 * `target` may be a function, asked at every new connection: for a callee whose address is known
 * only once the proxy's own address has been handed out (started after it, or restarted elsewhere).
 */
export async function startFaultProxy(target: ProxyTarget | (() => ProxyTarget)): Promise<FaultProxy> {
  let delayOf = () => 0
  let isDown = false
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    if (isDown) {
      client.destroy()
      return
    }
    const upstream = connect(typeof target === 'function' ? target() : target)
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('data', (chunk) => client.write(chunk))
    upstream.on('error', () => client.destroy())
    upstream.on('end', () => client.end())
    client.on('error', () => upstream.destroy())
    // Each chunk waits its own delay, after the ones before it: a slow callee, in order.
    let previous = Promise.resolve()
    // A caller that gave up still has its held request carried out, as by a slow callee.
    client.on('end', () => {
      previous = previous.then(() => {
        upstream.end()
      })
    })
    client.on('data', (chunk) => {
      const due = Date.now() + delayOf()
      previous = previous.then(async () => {
        const wait = due - Date.now()
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        if (!upstream.destroyed) upstream.write(chunk)
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    delay: (ms) => {
      delayOf = typeof ms === 'function' ? ms : () => ms
    },
    down: (value) => {
      isDown = value
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
