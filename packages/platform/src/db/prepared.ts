import {
  type Compilable,
  type CompiledQuery,
  createQueryId,
  type Kysely,
  MysqlAdapter,
  PostgresAdapter,
  type QueryResult,
} from 'kysely'
import type { Dialect } from './database.ts'

/** Stands for a value in a prepared statement; the value is given when it runs. */
export type Placeholder<Params> = <K extends keyof Params & string>(name: K) => Params[K]

type Slot = { readonly name: string } | { readonly value: unknown }

interface Compiled {
  readonly query: CompiledQuery
  readonly slots: readonly Slot[]
}

const MARK = '\u0000cafeteria-placeholder:'

/**
 * A statement built and compiled once per database, then run with new values. Building and
 * compiling a query through Kysely costs more than SQLite takes to run a small one, and the hot
 * statements of an order (inbox, outbox, the services' own writes) are the same every time.
 *
 * `build` receives a placeholder function: `$('orderId')` stands for the value of `orderId` in
 * the object given to `execute`. Placeholders stand for scalars only — a value that changes the
 * shape of the SQL (a list for `in`, `null` for `is null`, a row count) must not be one.
 */
export function prepared<DB, Params extends object, Row>(
  build: (db: Kysely<DB>, $: Placeholder<Params>, dialect: Dialect) => Compilable<Row>,
) {
  // Keyed by the dialect adapter, which a database shares with its transactions and savepoints.
  const cache = new WeakMap<object, Compiled>()

  const compiled = (db: Kysely<DB>): Compiled => {
    const adapter = db.getExecutor().adapter
    let entry = cache.get(adapter)
    if (!entry) {
      const $ = (name: string) => `${MARK}${name}` as never
      const query = build(db, $, dialectOf(adapter)).compile() as CompiledQuery
      const slots = query.parameters.map((value): Slot => {
        if (typeof value === 'string' && value.startsWith(MARK)) return { name: value.slice(MARK.length) }
        return { value }
      })
      entry = { query, slots }
      cache.set(adapter, entry)
    }
    return entry
  }

  async function execute(db: Kysely<DB>, params: Params): Promise<QueryResult<Row>> {
    const { query, slots } = compiled(db)
    const parameters = slots.map((slot) => {
      if (!('name' in slot)) return slot.value
      if (!(slot.name in params)) throw new Error(`prepared statement: no value for '${slot.name}'`)
      return params[slot.name as keyof Params]
    })
    return db.executeQuery<Row>({ ...query, queryId: createQueryId(), parameters } as CompiledQuery<Row>)
  }

  return {
    execute,
    async all(db: Kysely<DB>, params: Params): Promise<Row[]> {
      return (await execute(db, params)).rows
    },
    async first(db: Kysely<DB>, params: Params): Promise<Row | undefined> {
      return (await execute(db, params)).rows[0]
    },
    /** Rows inserted, updated or deleted. */
    async affected(db: Kysely<DB>, params: Params): Promise<number> {
      const result = await execute(db, params)
      return Number(result.numAffectedRows ?? 0)
    },
  }
}

const dialectOf = (adapter: object): Dialect =>
  adapter instanceof MysqlAdapter ? 'mysql' : adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite'
