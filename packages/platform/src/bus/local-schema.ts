/** The embedded bus's log: its tables, and the rows it reads back. */

export const SCHEMA = `
  create table if not exists message (seq integer primary key autoincrement, id text not null unique,
    type text not null, payload text not null, headers text, stored_at text not null);
  create table if not exists cursor (consumer text primary key, seq integer not null);
  create table if not exists retry (consumer text not null, seq integer not null, attempt integer not null,
    due_at integer not null, primary key (consumer, seq));`

/** `pragma synchronous` answers a number: these are its names, in order. */
export const SYNCHRONOUS = ['off', 'normal', 'full', 'extra']

export interface Row {
  seq: number
  id: string
  type: string
  payload: string
  headers: string | null
}
export interface RetryRow {
  seq: number
  attempt: number
}
