import { startEmbedded } from '../../apps/cafe/src/embedded.ts'
import { createLogger } from '../../packages/platform/src/index.ts'

/**
 * Every port ephemeral, so tests run beside a copy of the system on the default ports. Nothing
 * about access: the system is as secure as it is by default unless a test asks for open mode
 * (`OPEN_API: 'true'`), as the unit tests of one service's API do.
 */
export const ephemeralPorts = {
  HOST: '127.0.0.1',
  GATEWAY_PORT: '0',
  ORDER_PORT: '0',
  PAYMENT_PORT: '0',
  DRINK_PORT: '0',
  CUSTOMERCENTER_PORT: '0',
  POINT_PORT: '0',
}

/**
 * The whole system in this process, in memory: for API tests that need real HTTP between services.
 * Secure by default (`startSecureSystem` signs its customers in); `OPEN_API: 'true'` for open mode.
 */
export async function startInMemorySystem(
  env: Record<string, string> = {},
  options: Parameters<typeof startEmbedded>[2] = {},
) {
  const system = await startEmbedded(
    { ...ephemeralPorts, CAFE_DATA_DIR: ':memory:', OUTBOX_POLL_MS: '50', ...env },
    createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    options,
  )
  const serviceUrl = (name: string) => {
    const found = system.running.find((s) => s.name === name)
    if (!found) throw new Error(`no service ${name}`)
    return found.url
  }
  return { ...system, serviceUrl }
}

export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: any
}

/** One HTTP call; the body is parsed when it is JSON. */
export async function call(url: string, init: RequestInit & { json?: unknown } = {}): Promise<Answer> {
  const { json, ...rest } = init
  const response = await fetch(url, {
    ...rest,
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    headers: {
      ...(json === undefined ? {} : { 'content-type': 'application/json' }),
      ...(rest.headers as object),
    },
  })
  const text = await response.text()
  const type = response.headers.get('content-type') ?? ''
  return {
    status: response.status,
    headers: response.headers,
    body: type.includes('json') && text ? JSON.parse(text) : text,
  }
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** An order in the original's open API: any product name, the client's amount. */
export const order = (overrides: Record<string, unknown> = {}) => ({
  phoneNumber: '01012345679',
  productName: 'coffee',
  qty: 3,
  amt: 500,
  ...overrides,
})
