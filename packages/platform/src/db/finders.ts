import type { Kysely, Selectable } from 'kysely'

/**
 * The repository finders every service has, after Spring Data's (the original's): a row by its
 * id, and the rows whose columns equal given values (`findByPhoneNumber`), each mapped by the
 * service's row mapper. Anything more particular is the service's own Kysely query.
 */

/** A column to sort by, ascending unless it says `desc`. */
type Order<Row> = (keyof Row & string) | readonly [keyof Row & string, 'desc']

export interface RowsQuery<Row> {
  /** Each column given equals its value. */
  readonly where: Readonly<Partial<Selectable<Row>>>
  readonly orderBy?: readonly Order<Row>[]
  readonly limit?: number
}

/** The row of `table` with this `id`, as `map` makes it; undefined when there is none. */
export async function findById<DB, T extends keyof DB & string, R>(
  db: Kysely<DB>,
  table: T,
  id: number,
  map: (row: Selectable<DB[T]>) => R,
): Promise<R | undefined> {
  const row = await (db as Kysely<any>).selectFrom(table).selectAll().where('id', '=', id).executeTakeFirst()
  return row && map(row as Selectable<DB[T]>)
}

/** The rows of `table` that `query` asks for, in its order, each as `map` makes it. */
export async function findRows<DB, T extends keyof DB & string, R>(
  db: Kysely<DB>,
  table: T,
  query: RowsQuery<DB[T]>,
  map: (row: Selectable<DB[T]>) => R,
): Promise<R[]> {
  let select = (db as Kysely<any>).selectFrom(table).selectAll()
  for (const [column, value] of Object.entries(query.where)) select = select.where(column, '=', value)
  for (const order of query.orderBy ?? []) {
    select = typeof order === 'string' ? select.orderBy(order) : select.orderBy(order[0], order[1])
  }
  if (query.limit !== undefined) select = select.limit(query.limit)
  return (await select.execute()).map((row) => map(row as Selectable<DB[T]>))
}
