import type { ColumnDefinitionBuilder, CreateTableBuilder, Kysely } from 'kysely'
import type { ColumnTypes } from './migrate.ts'

/**
 * The columns that recur across the tables, declared once; a migration adds a set with Kysely's
 * `$call`. Migrations that already ran must keep emitting the same DDL, so a set never changes:
 * a table that needs something else declares that column itself.
 */

export type TableBuilder = CreateTableBuilder<any, any>

const notNull = (c: ColumnDefinitionBuilder) => c.notNull()

/** `create table <name>`, its rows keyed by a generated `id` (auto-incrementing, 64-bit where it matters). */
export const createEntityTable = (db: Kysely<any>, t: ColumnTypes, name: string): TableBuilder =>
  db.schema
    .createTable(name)
    .addColumn('id', t.id, (c) => (t.autoIncrement ? c.primaryKey().autoIncrement() : c.primaryKey()))

/** `create table <name>`, its rows keyed by a natural key (a phone number, a client's key, a hash). */
export const createKeyedTable = (db: Kysely<any>, name: string, key: string, type: string): TableBuilder =>
  db.schema.createTable(name).addColumn(key, type as 'text', (c) => c.primaryKey())

export const columns = {
  /** The customer's phone number, digits only (see `normalizePhoneNumber`). */
  phoneNumber: (table: TableBuilder) => table.addColumn('phone_number', 'varchar(11)', notNull),
  /** What was ordered: the drink's name and how many. */
  product: (table: TableBuilder) =>
    table.addColumn('product_name', 'varchar(100)', notNull).addColumn('qty', 'integer', notNull),
  /** A row's state, by name (`PaymentApproved`, `Made`, …). */
  status: (table: TableBuilder) => table.addColumn('status', 'varchar(20)', notNull),
  /** When the row was created. */
  createTime: (t: ColumnTypes) => (table: TableBuilder) =>
    table.addColumn('create_time', t.timestamp, notNull),
  /** An amount of won. */
  amount: (table: TableBuilder) => table.addColumn('amt', 'bigint', notNull),
  /** An event as the outbox and the dead letters keep it: its type, its JSON, its trace headers. */
  event: (table: TableBuilder) =>
    table
      .addColumn('type', 'varchar(64)', notNull)
      .addColumn('payload', 'text', notNull)
      .addColumn('headers', 'text'),
  /** Which consumer had which event: what the inbox and the consumer's failures are keyed by. */
  consumedEvent: (table: TableBuilder) =>
    table.addColumn('consumer', 'varchar(64)', notNull).addColumn('event_id', 'varchar(64)', notNull),
  /** Why a dead letter was set aside, after how many tries. */
  failure: (table: TableBuilder) =>
    table.addColumn('error', 'text', notNull).addColumn('attempts', 'integer', notNull),
}

/**
 * `create table <name>`: a service's one record of each order (a drink ticket, a payment). After
 * its `id`, the order's id, unique, so no redelivery or retry ever makes a second; the customer's
 * phone number; the service's own columns; the record's status, and when it was created.
 */
export const createOrderRecordTable = (
  db: Kysely<any>,
  t: ColumnTypes,
  name: string,
  own: (table: TableBuilder) => TableBuilder,
): TableBuilder =>
  createEntityTable(db, t, name)
    .addColumn('order_id', 'bigint', (c) => c.notNull().unique())
    .$call(columns.phoneNumber)
    .$call(own)
    .$call(columns.status)
    .$call(columns.createTime(t))

/** Adds a flag to a table: false on every row, those already there too, until it is set. */
export const addFlag = (db: Kysely<any>, table: string, column: string): Promise<void> =>
  db.schema
    .alterTable(table)
    .addColumn(column, 'boolean', (c) => c.notNull().defaultTo(false))
    .execute()

/** `create index <name> on <table> (<columns>)`. */
export const createIndex = (db: Kysely<any>, name: string, table: string, indexed: string[]): Promise<void> =>
  db.schema.createIndex(name).on(table).columns(indexed).execute()

/** What a service's migrations build their tables with, in one import. */
export const schema = {
  entityTable: createEntityTable,
  keyedTable: createKeyedTable,
  orderRecordTable: createOrderRecordTable,
  index: createIndex,
  flag: addFlag,
  columns,
} as const
