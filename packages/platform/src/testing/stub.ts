/**
 * Test fixture only: an HTTP callee whose every answer the test decides — a stand-in for the
 * payment or point service behind a synchronous call — keeping each request that reached it. An
 * answer may be held (an awaited promise) for as long as the test wants a call in flight.
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface StubRequest {
  readonly method: string
  readonly path: string
  readonly body: any
}

export interface StubAnswer {
  readonly status: number
  readonly body?: unknown
}

export interface Stub {
  readonly url: string
  /** Every request that reached the stub, in arrival order. */
  readonly requests: StubRequest[]
  close(): Promise<void>
}

const readBody = async (request: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  return text ? JSON.parse(text) : undefined
}

export async function startStub(
  answer: (request: StubRequest) => StubAnswer | Promise<StubAnswer>,
): Promise<Stub> {
  const requests: StubRequest[] = []
  const server = createServer(async (request, response) => {
    try {
      const received = {
        method: request.method ?? '',
        path: request.url ?? '',
        body: await readBody(request),
      }
      requests.push(received)
      const { status, body } = await answer(received)
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}))
    } catch (error) {
      if (!response.headersSent) response.writeHead(500).end(JSON.stringify({ detail: String(error) }))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
