import type { HttpApp, Logger } from '@cafeteria/platform'
import swaggerUi from '@fastify/swagger-ui'
import { mergeOpenApi, type OpenApiDocument, type ServiceDocument } from './openapi.ts'
import type { Route, Upstream } from './routes.ts'
import { allowInlineStyles } from './security.ts'

export interface OpenApiSourceOptions {
  readonly routes: readonly Route[]
  readonly upstreams: Readonly<Record<Upstream, string>>
  readonly timeoutMs: number
  readonly log: Logger
  /** How long a complete document is served before the services are asked again. */
  readonly ttlMs?: number
  /** Shorter, when a service was missing: it is likely back soon. */
  readonly retryMs?: number
  readonly now?: () => number
  readonly fetch?: typeof fetch
}

export interface OpenApiSource {
  get(): Promise<OpenApiDocument>
}

/**
 * The merged document, built on demand from every service's `/openapi.json` and cached briefly:
 * docs are read rarely, so nothing polls the services, and a service that is down only drops out.
 */
export function openApiSource(options: OpenApiSourceOptions): OpenApiSource {
  const { routes, upstreams, timeoutMs, log } = options
  const now = options.now ?? Date.now
  const fetchDocument = options.fetch ?? fetch
  const services = [...new Set(routes.map((route) => route.upstream))]
  let cached: { document: OpenApiDocument; expires: number } | undefined
  let building: Promise<OpenApiDocument> | undefined

  const read = async (service: Upstream): Promise<OpenApiDocument | undefined> => {
    try {
      const response = await fetchDocument(`${upstreams[service].replace(/\/$/, '')}/openapi.json`, {
        signal: AbortSignal.timeout(timeoutMs),
      })
      if (!response.ok) throw new Error(`status ${response.status}`)
      const document = (await response.json()) as OpenApiDocument
      if (typeof document?.paths !== 'object') throw new Error('not an OpenAPI document')
      return document
    } catch (err) {
      log.warn({ upstream: service, err }, 'OpenAPI document unavailable')
      return undefined
    }
  }

  const build = async (): Promise<OpenApiDocument> => {
    const results = await Promise.all(services.map(read))
    const found: ServiceDocument[] = []
    const missing: string[] = []
    services.forEach((service, i) => {
      const document = results[i]
      if (document) found.push({ service, document })
      else missing.push(service)
    })
    const document = mergeOpenApi(routes, found, missing)
    const ttl = missing.length ? (options.retryMs ?? 5_000) : (options.ttlMs ?? 30_000)
    cached = { document, expires: now() + ttl }
    return document
  }

  return {
    get() {
      if (cached && now() < cached.expires) return Promise.resolve(cached.document)
      // Concurrent requests share one round of fetches.
      building ??= build().finally(() => {
        building = undefined
      })
      return building
    },
  }
}

/**
 * `GET /docs`: Swagger UI over the merged document, also served at `GET /docs/openapi.json`.
 * The plugin always points the UI at its own `/docs/json`, which serves the gateway's own (proxy
 * only) document; its synchronous `transformSpecification` swaps in the merged one, fetched
 * beforehand by an async `preHandler`.
 */
export async function registerDocs(app: HttpApp, source: OpenApiSource): Promise<void> {
  app.get('/docs/openapi.json', { schema: { hide: true } }, () => source.get())
  const merged = new WeakMap<object, OpenApiDocument>()
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    theme: { title: 'cafeteria API' },
    uiHooks: {
      preHandler: async (request) => {
        if (/\/(json|yaml)$/.test(request.routeOptions.url ?? '')) merged.set(request, await source.get())
      },
    },
    transformSpecificationClone: false,
    transformSpecification: (own, request) => merged.get(request) ?? own,
    transformStaticCSP: allowInlineStyles,
  })
}
