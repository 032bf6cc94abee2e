import { type PhoneInbox, signIn, startPhoneInbox } from './customer.ts'
import { startInMemorySystem } from './system.ts'

/** What a call carries to say who makes it: a customer's session or the staff token. */
export type Credentials = Readonly<Record<string, string>>

/** The barista's token in the systems the tests start (24 characters or more, as any). */
export const STAFF_TOKEN = 'the-counter-token-of-the-system-tests'
/** Signs the sessions: given, so every process of a system and every restart of it share it. */
const AUTH_SECRET = 'the-session-secret-of-the-system-tests-0001'

/**
 * The scenarios place dozens of orders as one customer from one address in seconds, which is what
 * the rate limits stop: off here, and tested on their own (services/gateway/src/rate-limits.test.ts,
 * test/e2e/rate-limits.test.ts).
 */
const LOADS_FROM_ONE_CLIENT = {
  RATE_LIMIT_ORDERS_PER_MINUTE: '0',
  RATE_LIMIT_CANCELS_PER_MINUTE: '0',
  RATE_LIMIT_AUTH_CODES_PER_10_MINUTES: '0',
  RATE_LIMIT_AUTH_TOKENS_PER_10_MINUTES: '0',
}

/**
 * A system in secure mode (§8) as its customers and its barista use it: the sign-in codes reach a
 * phone inbox in the test, and the staff token is one the test knows. `env` starts a system so;
 * a system of several processes gets it in every process.
 */
export interface SecureAccess {
  readonly inbox: PhoneInbox
  /** No `OPEN_API`: the phones' messages to the inbox, the staff token and the sessions' secret. */
  readonly env: Record<string, string>
  /** The barista's credentials. */
  readonly staff: Credentials
  /**
   * The customer's credentials: a phone signed in at the system at `url` the first time it is
   * asked for, and the same session after (it outlives a restart of the system).
   */
  customer(url: string, phoneNumber: string): Promise<Credentials>
  close(): Promise<void>
}

export async function startSecureAccess(): Promise<SecureAccess> {
  const inbox = await startPhoneInbox()
  const sessions = new Map<string, Promise<Credentials>>()
  return {
    inbox,
    env: { ...inbox.env, STAFF_TOKEN, AUTH_SECRET, ...LOADS_FROM_ONE_CLIENT },
    staff: { authorization: `Bearer ${STAFF_TOKEN}` },
    customer(url, phoneNumber) {
      let session = sessions.get(phoneNumber)
      if (!session) {
        session = signIn(url, inbox, phoneNumber).then((signedIn) => signedIn.headers)
        session.catch(() => sessions.delete(phoneNumber))
        sessions.set(phoneNumber, session)
      }
      return session
    },
    close: () => inbox.close(),
  }
}

/** The whole system in this process, in memory and in secure mode, with the access to act in it. */
export async function startSecureSystem(
  env: Record<string, string> = {},
  options: Parameters<typeof startInMemorySystem>[1] = {},
) {
  const access = await startSecureAccess()
  const system = await startInMemorySystem({ ...access.env, ...env }, options).catch(async (error) => {
    await access.close()
    throw error
  })
  return {
    ...system,
    staff: access.staff,
    customer: (phoneNumber: string) => access.customer(system.url, phoneNumber),
    async stop() {
      await system.stop()
      await access.close()
    },
  }
}
