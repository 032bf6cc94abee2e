import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'
import { createLogger, type Env, type Logger, signSession, startService } from '@cafeteria/platform'
import { gatewayService } from './index.ts'

/** The session secret of the gateways these tests start (not open mode: sign-in on). */
export const AUTH_SECRET = 'a-session-secret-of-32-characters-or-more'

/** A customer's `Authorization` header: a fresh session of `phoneNumber`, signed as customercenter would. */
export const sessionOf = (phoneNumber: string) =>
  `Bearer ${signSession(Buffer.from(AUTH_SECRET), {
    phoneNumber,
    sessionId: randomUUID(),
    expiresAt: new Date(Date.now() + 3_600_000),
  })}`

/** The gateway as embedded and distributed mode start it, on port 8080 unless `GATEWAY_PORT` says. */
export const startGateway = (options: { env: Env; logger: Logger }) =>
  startService(gatewayService, { ...options, defaults: { port: 8080 } })

/**
 * Every service at once, answering anything at once: 201 with `{}`, and 200 when asked whether a
 * session is still on. What the gateway lets through is what reaches it.
 */
export async function startAnyUpstream(t: TestContext): Promise<string> {
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      const status = request.url === '/auth/session' ? 200 : 201
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** A gateway in front of `upstream` for every service, with `env` over sign-in mode's defaults. */
export async function startGatewayOver(t: TestContext, upstream: string, env: Record<string, string> = {}) {
  const gateway = await startGateway({
    env: {
      HOST: '127.0.0.1',
      GATEWAY_PORT: '0',
      AUTH_SECRET,
      ORDER_URL: upstream,
      PAYMENT_URL: upstream,
      DRINK_URL: upstream,
      CUSTOMERCENTER_URL: upstream,
      POINT_URL: upstream,
      ...env,
    },
    logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  })
  t.after(() => gateway.stop())
  return gateway
}
