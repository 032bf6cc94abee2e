import { request as httpRequest, type IncomingMessage } from 'node:http'
import { connect, createServer } from 'node:net'
import type { Answer } from './http.ts'

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
 * The `n`th address of this host after 127.0.0.1 (127.0.0.2, 127.0.0.3, …), to connect from: a
 * server on 127.0.0.1 then sees as many different clients. Linux only, like `otherLoopback`.
 */
export const loopbackClient = (n: number) => (process.platform === 'linux' ? `127.0.0.${1 + n}` : undefined)

export interface Opened {
  readonly status: number
  readonly headers: Headers
  /** The rest of the body, read to its end. */
  text(): Promise<string>
  /** Hangs up (a stream the server keeps open ends). */
  close(): void
}

/**
 * Sends a request from `localAddress` (one of this host's) and resolves once the answer's head has
 * come, leaving its body to read or, for an event stream, the connection to hold.
 */
export function openFrom(
  localAddress: string | undefined,
  url: string,
  init: { method?: string; headers?: Record<string, string>; json?: unknown } = {},
): Promise<Opened> {
  const body = init.json === undefined ? undefined : JSON.stringify(init.json)
  return new Promise((resolve, reject) => {
    const sent = httpRequest(
      url,
      {
        method: init.method ?? 'GET',
        localAddress,
        agent: false,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
      },
      (response: IncomingMessage) => {
        const headers = new Headers()
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value)
        }
        response.on('error', () => {})
        resolve({
          status: response.statusCode ?? 0,
          headers,
          text: async () => {
            let text = ''
            for await (const chunk of response) text += chunk
            return text
          },
          close: () => sent.destroy(),
        })
      },
    )
    sent.on('error', reject)
    sent.end(body)
  })
}

/** One HTTP call from `localAddress`; the body is parsed when it is JSON (as `call` does). */
export async function callFrom(
  localAddress: string | undefined,
  url: string,
  init: { method?: string; headers?: Record<string, string>; json?: unknown } = {},
): Promise<Answer> {
  const opened = await openFrom(localAddress, url, init)
  const text = await opened.text()
  const json = (opened.headers.get('content-type') ?? '').includes('json') && text !== ''
  return { status: opened.status, headers: opened.headers, body: json ? JSON.parse(text) : text }
}

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
