import { type Menu, readMenu } from '@cafeteria/contracts'
import { type ConfigReader, type TrustProxy, trustProxySetting } from '@cafeteria/platform'
import { webRoot } from '@cafeteria/web'
import { type RateLimitSettings, rateLimitSettings } from './rate-limits.ts'
import { type Upstream, upstreamDefaults } from './routes.ts'
import { type SecuritySettings, securitySettings } from './security.ts'
import { type StreamCapSettings, streamCapSettings } from './stream-caps.ts'

export interface GatewaySettings {
  readonly timeoutMs: number
  /** Each upstream's replicas, balanced. */
  readonly urls: Readonly<Record<Upstream, string[]>>
  readonly replicasFile: string | undefined
  readonly security: SecuritySettings
  readonly web: { readonly root: string; readonly menu: Menu }
  readonly sessionRecheckMs: number
  /** The client's address as the limits count it: X-Forwarded-For only from proxies named here. */
  readonly trustProxy: TrustProxy
  readonly rateLimits: RateLimitSettings
  readonly streamCaps: StreamCapSettings
}

export const upstreamNames = Object.keys(upstreamDefaults) as Upstream[]

export function gatewaySettings(read: ConfigReader): GatewaySettings {
  return {
    timeoutMs: read.int('GATEWAY_UPSTREAM_TIMEOUT_MS', 5000, { min: 1 }),
    // `ORDER_URL=http://a:8081,http://b:8081`: a service's replicas, balanced.
    urls: Object.fromEntries(
      upstreamNames.map((name) => [name, read.urls(`${name.toUpperCase()}_URL`, upstreamDefaults[name])]),
    ) as Record<Upstream, string[]>,
    replicasFile: read.optional('REPLICAS_FILE'),
    security: securitySettings(read),
    // The settings the order service prices from: the menu shown is the menu charged.
    web: { root: read.string('WEB_ROOT', webRoot), menu: readMenu(read) },
    sessionRecheckMs: read.int('SESSION_RECHECK_MS', 5000, { min: 0, max: 600_000 }),
    trustProxy: trustProxySetting(read),
    rateLimits: rateLimitSettings(read),
    streamCaps: streamCapSettings(read),
  }
}
