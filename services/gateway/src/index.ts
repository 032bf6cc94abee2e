import type { Balancer, BaseContext, StatelessServiceDefinition } from '@cafeteria/platform'
import { gatewayRoutes } from './api.ts'
import type { Upstream } from './routes.ts'
import { type GatewaySettings, gatewaySettings, upstreamNames } from './settings.ts'
import { type StreamCaps, streamCaps } from './stream-caps.ts'
import { upstreamBalancers } from './upstreams.ts'

export type GatewayContext = BaseContext<GatewaySettings>

/** What the gateway's routes share. */
export interface GatewayDeps {
  /** One balancer per upstream service, shared by every route to it. */
  readonly balancers: Readonly<Record<Upstream, Balancer>>
  /** How many live streams a client may hold open. */
  readonly caps: StreamCaps
}

function compose(ctx: GatewayContext): GatewayDeps {
  const { urls, timeoutMs, replicasFile } = ctx.config
  const balancers = upstreamBalancers(upstreamNames, urls, { log: ctx.log, timeoutMs, replicasFile })
  ctx.onClose(() => balancers.close())
  ctx.log.info({ upstreams: urls }, 'routing to the upstream services')
  return { balancers, caps: streamCaps(ctx.config.streamCaps, ctx.access) }
}

/** The one public entry point; it keeps no data of its own. */
export const gatewayService: StatelessServiceDefinition<GatewaySettings, GatewayDeps> = {
  name: 'gateway',
  settings: gatewaySettings,
  public: (config) => ({ trustProxy: config.trustProxy }),
  compose,
  routes: gatewayRoutes,
}
