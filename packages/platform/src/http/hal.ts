import { type TObject, Type } from 'typebox'

const Link = Type.Object({ href: Type.String() })

/**
 * The HAL collection shape of the original's Spring Data REST search endpoints:
 * `{"_embedded": {"<collection>": [...]}, "_links": {"self": {"href": ...}}}`.
 */
export function halCollection<K extends string, T extends { id: number | string }>(
  collection: K,
  items: readonly T[],
  self: string,
): {
  _embedded: Record<K, Array<T & { _links: { self: { href: string } } }>>
  _links: { self: { href: string } }
} {
  const embedded = items.map((item) => ({ ...item, _links: { self: { href: `/${collection}/${item.id}` } } }))
  return {
    _embedded: { [collection]: embedded } as Record<K, typeof embedded>,
    _links: { self: { href: self } },
  }
}

/** The route schema of a `halCollection` answer. */
export const HalCollectionSchema = <K extends string, T extends TObject>(collection: K, item: T) => {
  const items = Type.Array(Type.Intersect([item, Type.Object({ _links: Type.Object({ self: Link }) })]))
  return Type.Object({
    _embedded: Type.Object({ [collection]: items } as unknown as Record<K, typeof items>),
    _links: Type.Object({ self: Link }),
  })
}
