import type { AccessSettings, ConfigReader } from '@cafeteria/platform'
import type { FastifyRequest } from 'fastify'
import { clientAddress, signedInPhone } from './clients.ts'

/** How many live streams one client may hold open through a gateway replica; 0 turns a cap off. */
export interface StreamCapSettings {
  /**
   * Per signed-in customer, over all their sessions (`LIVE_MAX_PER_CUSTOMER`). My Page follows
   * three streams, so the default leaves room for four open pages.
   */
  readonly perCustomer: number
  /**
   * Per client address (`LIVE_MAX_PER_ADDRESS`): far more, since a cafe's customers share its
   * Wi-Fi's address, yet well under what a service serves (1000 listeners), so that one client
   * cannot take them all and leave every other customer with 503.
   */
  readonly perAddress: number
}

export const streamCapSettings = (read: ConfigReader): StreamCapSettings => ({
  perCustomer: read.int('LIVE_MAX_PER_CUSTOMER', 12),
  perAddress: read.int('LIVE_MAX_PER_ADDRESS', 200),
})

/** Let in: call `release` when the stream ends. Refused: why, for the 429. */
export type Admission = { readonly release: () => void } | { readonly refused: string }

/**
 * The streams each client holds open, counted where every stream passes and the client's address
 * is known. Held in this replica's memory: a stream lives on one connection to one replica, and
 * a count in a shared store would outlive a replica that died with streams open. With several
 * replicas behind a balancer, a client can hold up to the cap on each.
 */
export function streamCaps(settings: StreamCapSettings, access: AccessSettings) {
  const open = new Map<string, number>()
  const held = (key: string) => open.get(key) ?? 0
  const take = (key: string) => open.set(key, held(key) + 1)
  const give = (key: string) => {
    const left = held(key) - 1
    if (left > 0) open.set(key, left)
    else open.delete(key)
  }

  return {
    admit(request: FastifyRequest): Admission {
      const keys: string[] = []
      if (settings.perAddress > 0) {
        const address = `address:${clientAddress(request)}`
        if (held(address) >= settings.perAddress) {
          return { refused: `At most ${settings.perAddress} live streams from one address at once.` }
        }
        keys.push(address)
      }
      const phone = settings.perCustomer > 0 ? signedInPhone(access, request) : undefined
      if (phone !== undefined) {
        const customer = `customer:${phone}`
        if (held(customer) >= settings.perCustomer) {
          return {
            refused: `At most ${settings.perCustomer} live streams for one customer at once: close another page first.`,
          }
        }
        keys.push(customer)
      }
      for (const key of keys) take(key)
      let released = false
      return {
        release: () => {
          if (released) return
          released = true
          for (const key of keys) give(key)
        },
      }
    },
  }
}

export type StreamCaps = ReturnType<typeof streamCaps>
