import { EntityId } from '@cafeteria/contracts'
import { type Static, type TObject, type TSchema, Type } from 'typebox'
import { type Access, ByPhoneNumberQuery, type HttpRequest, mayView, searchedPhone } from './access.ts'
import type { HttpApp } from './app.ts'
import { HalCollectionSchema, halCollection } from './hal.ts'
import { notFound, ProblemSchema } from './problem.ts'

/** A record of a phone's: what a customer may see of it is decided by its phone number. */
interface Owned {
  readonly phoneNumber: string
}

/** One `GET /<things>/search/<name>`: its query and what it finds. */
export interface Search<T> {
  readonly summary: string
  readonly query: TObject
  find(query: any, request: HttpRequest): Promise<readonly T[]>
}

export interface ReadRoutes<T extends Owned, V extends TObject> {
  /** The schema of one record as answered; `view` makes it. */
  readonly schema: V
  view(item: T): Static<V> | Promise<Static<V>>
  /** Who may call them: customers by default, who see only their phone's records; staff see all. */
  readonly access?: Access
  /** Answers besides the routes' own, e.g. a staff route's 401 and 429. */
  readonly problems?: Readonly<Record<number, TSchema>>
  /** `GET /<things>/:id`, 404 naming the record `what`. */
  readonly one?: { readonly summary: string; readonly what: string; find(id: number): Promise<T | undefined> }
  readonly search?: Readonly<Record<string, Search<T>>>
  /** Searches answer a plain array, not the HAL collection `<things>`. */
  readonly plain?: boolean
}

/**
 * The read routes every service has, written once: `GET /<things>/:id` and
 * `GET /<things>/search/<name>`, the id or query checked by its schema, a signed-in customer
 * shown only their own records (someone else's is as missing as one that does not exist), and
 * searches answered as the HAL collection `<things>` as the original's were.
 */
export function readRoutes<T extends Owned, V extends TObject>(
  app: HttpApp,
  things: string,
  routes: ReadRoutes<T, V>,
) {
  const config = { access: routes.access ?? 'customer' }
  // Typed loosely: the generic record's static type would not survive fastify's inference.
  const answers = (ok: TSchema, ...problems: number[]): Record<number, TSchema> => ({
    200: ok,
    ...Object.fromEntries(problems.map((status) => [status, ProblemSchema])),
    ...routes.problems,
  })
  const visible = (request: HttpRequest, item: T) =>
    config.access !== 'customer' || mayView(request, item.phoneNumber)
  const { one } = routes
  if (one) {
    const schema = {
      summary: one.summary,
      params: Type.Object({ id: EntityId }),
      response: answers(routes.schema, 400, 404),
    }
    app.get(`/${things}/:id`, { config, schema }, async (request) => {
      const { id } = request.params as { id: number }
      const item = await one.find(id)
      if (item === undefined || !visible(request, item)) throw notFound(one.what, id)
      return routes.view(item)
    })
  }
  const found = routes.plain ? Type.Array(routes.schema) : HalCollectionSchema(things, routes.schema)
  for (const [name, search] of Object.entries(routes.search ?? {})) {
    const schema = { summary: search.summary, querystring: search.query, response: answers(found, 400) }
    app.get(`/${things}/search/${name}`, { config, schema }, async (request) => {
      const items = (await search.find(request.query, request)).filter((item) => visible(request, item))
      const shown = await Promise.all(items.map((item) => routes.view(item)))
      return routes.plain ? shown : halCollection(things, shown as Array<{ id: number }>, request.url)
    })
  }
}

/** A search by `?phoneNumber=`: the caller's own records, none for another's (see `searchedPhone`). */
export const byPhoneNumber = <T>(
  summary: string,
  find: (phoneNumber: string) => Promise<readonly T[]>,
): Search<T> => ({
  summary,
  query: ByPhoneNumberQuery,
  async find(query: Static<typeof ByPhoneNumberQuery>, request) {
    const phoneNumber = searchedPhone(request, query.phoneNumber)
    return phoneNumber === null ? [] : find(phoneNumber)
  },
})

/** A search by one id in the query, e.g. `?orderId=`. */
export const byId = <T>(
  summary: string,
  name: string,
  find: (id: number) => Promise<readonly T[]>,
): Search<T> => ({
  summary,
  query: Type.Object({ [name]: EntityId }),
  find: (query: Record<string, number>) => find(query[name] as number),
})
