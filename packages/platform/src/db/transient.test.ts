import assert from 'node:assert/strict'
import { test } from 'node:test'
import { asTransient, TransientError } from '../events/transient.ts'
import { UpstreamUnavailable } from '../http/client.ts'
import { transientDbReason } from './transient.ts'

const coded = (code: string, extra: object = {}) => Object.assign(new Error(code), { code }, extra)

test('each dialect names its transient errors by its own codes, and nothing else', () => {
  const cases: ReadonlyArray<[Parameters<typeof transientDbReason>[1], unknown, string | undefined]> = [
    ['postgres', coded('40001'), 'conflict'],
    ['postgres', coded('40P01'), 'conflict'],
    ['postgres', coded('55P03'), 'lock-timeout'],
    ['postgres', coded('57P01'), 'connection'],
    ['postgres', coded('08006'), 'connection'],
    ['postgres', coded('ECONNREFUSED'), 'connection'],
    ['postgres', new Error('Connection terminated unexpectedly'), 'connection'],
    ['postgres', coded('23505'), undefined],
    ['postgres', coded('22P02'), undefined],
    ['mysql', coded('ER_LOCK_DEADLOCK'), 'conflict'],
    ['mysql', coded('ER_LOCK_WAIT_TIMEOUT'), 'lock-timeout'],
    ['mysql', coded('PROTOCOL_CONNECTION_LOST', { fatal: true }), 'connection'],
    ['mysql', coded('ER_CON_COUNT_ERROR'), 'connection'],
    ['mysql', coded('ER_DUP_ENTRY'), undefined],
    // A SQLSTATE means nothing to MariaDB's driver, nor its codes to PostgreSQL's.
    ['mysql', coded('40001'), undefined],
    ['postgres', coded('ER_LOCK_DEADLOCK'), undefined],
    ['sqlite', Object.assign(new Error('database is locked'), { errcode: 5 }), 'busy'],
    ['sqlite', Object.assign(new Error('database table is locked'), { errcode: 6 }), 'busy'],
    ['sqlite', Object.assign(new Error('database is locked'), { errcode: 517 }), 'busy'],
    ['sqlite', Object.assign(new Error('UNIQUE constraint failed'), { errcode: 2067 }), undefined],
    ['sqlite', 'not an error', undefined],
  ]
  for (const [dialect, error, reason] of cases) {
    assert.equal(transientDbReason(error, dialect), reason, `${dialect}: ${String(error)}`)
  }
})

test('a failure is transient when it wraps a transient one, and keeps its own text', () => {
  const wrapped = new Error('ticket not saved', { cause: coded('40P01') })
  assert.equal(asTransient(wrapped, 'postgres')?.reason, 'conflict')
  assert.equal(asTransient(wrapped, 'postgres')?.message, 'conflict: Error: ticket not saved')
  const aggregate = new AggregateError([new Error('x'), coded('ER_LOCK_WAIT_TIMEOUT')], 'both failed')
  assert.equal(asTransient(aggregate, 'mysql')?.reason, 'lock-timeout')
  assert.equal(
    asTransient(new UpstreamUnavailable('point', 'open', 'circuit open'), 'sqlite')?.reason,
    'unavailable',
  )
  const thrown = new TransientError('printer away')
  assert.equal(asTransient(thrown, 'sqlite'), thrown)
  assert.equal(asTransient(new Error('no such product'), 'postgres'), undefined)
  assert.equal(
    asTransient(new TypeError("Cannot read properties of undefined (reading 'qty')"), 'mysql'),
    undefined,
  )
})
