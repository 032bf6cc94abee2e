import type { Route } from './routes.ts'

/** An OpenAPI 3 document, loosely typed: only what the merge reads is named. */
export interface OpenApiDocument {
  openapi: string
  info: { title: string; version: string; description?: string }
  servers?: Array<{ url: string }>
  tags?: Array<{ name: string; description?: string }>
  paths: Record<string, Record<string, any>>
  components?: Record<string, Record<string, unknown>>
}

export interface ServiceDocument {
  readonly service: string
  readonly document: OpenApiDocument
}

const operationKeys = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])
const componentRef = /^#\/components\/([^/]+)\/([^/]+)(\/.*)?$/

/**
 * One document of what the public can call through the gateway, from each service's own:
 * an operation is kept only if the gateway routes its path and method to that very service, so
 * internal endpoints (`POST /payments`, `PATCH /points/cancelPoint`) never show. `missing` names
 * the services whose documents could not be read; the page says so instead of failing.
 */
export function mergeOpenApi(
  routes: readonly Route[],
  documents: readonly ServiceDocument[],
  missing: readonly string[] = [],
): OpenApiDocument {
  const clashes = clashingComponents(documents)
  const paths: OpenApiDocument['paths'] = {}
  const components: Record<string, Record<string, unknown>> = {}
  const tags: NonNullable<OpenApiDocument['tags']> = []
  for (const { service, document } of documents) {
    // A name two services define differently gets the service's name in front, in both.
    const rename = (kind: string, name: string) =>
      clashes.has(`${kind}/${name}`) ? `${service}.${name}` : name
    const own = renameRefs(document, rename)
    let routed = false
    for (const [path, item] of Object.entries(own.paths ?? {})) {
      const kept: Record<string, any> = {}
      for (const [key, value] of Object.entries(item)) {
        if (!operationKeys.has(key)) kept[key] = value
        else if (routeFor(routes, path, key)?.upstream === service) kept[key] = { ...value, tags: [service] }
      }
      if (!Object.keys(kept).some((key) => operationKeys.has(key))) continue
      paths[path] = kept
      routed = true
    }
    for (const [kind, entries] of Object.entries(own.components ?? {})) {
      for (const [name, value] of Object.entries(entries)) {
        components[kind] ??= {}
        components[kind][rename(kind, name)] = value
      }
    }
    if (routed) tags.push({ name: service, description: `the ${service} service` })
  }
  const unavailable = missing.length
    ? `\n\nNot available right now, so not shown: ${missing.join(', ')}. Reload in a moment.`
    : ''
  return {
    openapi: '3.0.3',
    info: {
      title: 'cafeteria API',
      version: '1.0.0',
      description: `Every public operation of the cafeteria services, as the gateway routes them.${unavailable}`,
    },
    servers: [{ url: '/' }],
    tags,
    paths,
    components: reachable(components, paths),
  }
}

/** The route the gateway would take for this path and method: the longest prefix that allows it. */
export function routeFor(routes: readonly Route[], path: string, method: string): Route | undefined {
  let best: Route | undefined
  for (const route of routes) {
    const under = path === route.prefix || path.startsWith(`${route.prefix}/`)
    if (!under || !route.methods.includes(method.toUpperCase())) continue
    if (!best || route.prefix.length > best.prefix.length) best = route
  }
  return best
}

/** `kind/name` of every component defined differently by two services (TypeBox's `def-0`, say). */
function clashingComponents(documents: readonly ServiceDocument[]): Set<string> {
  const seen = new Map<string, string>()
  const clashes = new Set<string>()
  for (const { document } of documents) {
    for (const [kind, entries] of Object.entries(document.components ?? {})) {
      for (const [name, value] of Object.entries(entries)) {
        const key = `${kind}/${name}`
        const text = JSON.stringify(value)
        if (seen.has(key) && seen.get(key) !== text) clashes.add(key)
        seen.set(key, text)
      }
    }
  }
  return clashes
}

/** A deep copy with every `$ref` to a component pointed at its (possibly renamed) name. */
function renameRefs<T>(value: T, rename: (kind: string, name: string) => string): T {
  if (Array.isArray(value)) return value.map((v) => renameRefs(v, rename)) as T
  if (!value || typeof value !== 'object') return value
  const copy: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    const match = key === '$ref' && typeof v === 'string' ? componentRef.exec(v) : null
    copy[key] = match
      ? `#/components/${match[1]}/${rename(match[1] ?? '', match[2] ?? '')}${match[3] ?? ''}`
      : renameRefs(v, rename)
  }
  return copy as T
}

/** Only the components the kept operations use, so internal endpoints' bodies do not leak in. */
function reachable(
  components: Record<string, Record<string, unknown>>,
  paths: OpenApiDocument['paths'],
): Record<string, Record<string, unknown>> {
  const kept: Record<string, Record<string, unknown>> = {}
  const visit = (value: unknown): void => {
    if (!value || typeof value !== 'object') return
    for (const [key, v] of Object.entries(value)) {
      const match = key === '$ref' && typeof v === 'string' ? componentRef.exec(v) : null
      if (!match) {
        visit(v)
        continue
      }
      const [, kind = '', name = ''] = match
      const target = components[kind]?.[name]
      if (target === undefined || kept[kind]?.[name] !== undefined) continue
      kept[kind] ??= {}
      kept[kind][name] = target
      visit(target)
    }
  }
  visit(paths)
  // Security schemes are named by `security` requirements, not by `$ref`: keep them all.
  if (components.securitySchemes) kept.securitySchemes = components.securitySchemes
  return { schemas: {}, ...kept }
}
