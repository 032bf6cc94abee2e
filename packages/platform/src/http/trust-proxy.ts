import { isIP } from 'node:net'
import type { ConfigReader } from '../config.ts'

/**
 * Which proxies in front of a server are believed when they say, in `X-Forwarded-For`, whom they
 * forward for: their addresses and CIDRs (or proxy-addr's names `loopback`, `linklocal`,
 * `uniquelocal`), or the number of hops between the client and the server. Undefined: none, and
 * `request.ip` is the connection's peer, which a client cannot make up.
 */
export type TrustProxy = number | readonly string[] | undefined

const NAMED = new Set(['loopback', 'linklocal', 'uniquelocal'])

const isAddressOrRange = (entry: string): boolean => {
  if (NAMED.has(entry)) return true
  const [address = '', bits, ...rest] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  if (bits === undefined) return true
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)
}

/**
 * `TRUST_PROXY`: unset or `false` (the default) trusts no proxy; `2` trusts two hops; `10.0.0.0/8,
 * 192.168.1.7` trusts those. `true` (trust everyone) is refused: any client could then pick the
 * address its limits are counted under.
 */
export function trustProxySetting(read: ConfigReader): TrustProxy {
  const raw = read.optional('TRUST_PROXY')?.trim()
  if (raw === undefined || ['false', 'off', 'no', '0'].includes(raw.toLowerCase())) return undefined
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw)
    if (hops <= 16) return hops
  }
  const entries = raw.split(',').map((entry) => entry.trim())
  const bad = entries.filter((entry) => !isAddressOrRange(entry))
  if (bad.length === 0) return entries
  read.refuse(
    `TRUST_PROXY: "${raw}" is not a hop count (1–16) nor a list of addresses or CIDRs` +
      (raw.toLowerCase() === 'true' ? ' (trusting every client would let anyone choose its address)' : ''),
  )
  return undefined
}

/**
 * Fastify's `trustProxy` for a setting. A hop count is given as a function: Fastify takes a bare
 * number to mean no trust at all, since it cannot tell a proxy from a client that connects
 * directly. That is the operator's to know: a hop count suits a server only the proxy can reach.
 */
export function trustProxyOption(trust: number | readonly string[]) {
  return typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : [...trust]
}
