import { connect, createServer } from 'node:net'

/** Whether a TCP connection to `host:port` is accepted. */
export const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })

/** A port nobody listens on (yet): connections to it are refused. */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * An address of this host other than 127.0.0.1: Linux routes all of 127.0.0.0/8 to loopback, so
 * it reaches a listener on all interfaces, never one bound to 127.0.0.1. None elsewhere.
 */
export const otherLoopback = process.platform === 'linux' ? '127.0.0.2' : undefined

/**
 * Sends a request's headers a byte every `everyMs`, as a slow-loris client does, and resolves with
 * the milliseconds until the server closed the connection and what it answered.
 */
export function slowHeaders(port: number, everyMs = 50): Promise<{ ms: number; answer: string }> {
  const text = `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(1000)}\r\n\r\n`
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    const start = performance.now()
    let answer = ''
    let sent = 0
    const timer = setInterval(() => {
      if (sent < text.length) socket.write(text[sent++] as string)
    }, everyMs)
    socket.on('data', (chunk) => {
      answer += chunk
    })
    socket.on('error', () => {})
    socket.once('close', () => {
      clearInterval(timer)
      resolve({ ms: performance.now() - start, answer })
    })
  })
}
