import { createLogger } from '@cafeteria/platform'
import { startEmbedded } from './embedded.ts'

/**
 * The test kit's one piece that needs every service: the whole system in one process, imported as
 * `@cafeteria/cafe/testing` by API tests that need real HTTP between services. The rest of the kit
 * is `@cafeteria/platform/testing`. Nothing here is used at runtime.
 */

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
 * The whole system in this process, in memory. Secure by default (the system tests' secure
 * helpers sign customers in); `OPEN_API: 'true'` for open mode.
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

/** An order in the original's open API: any product name, the client's amount. */
export const order = (overrides: Record<string, unknown> = {}) => ({
  phoneNumber: '01012345679',
  productName: 'coffee',
  qty: 3,
  amt: 500,
  ...overrides,
})
