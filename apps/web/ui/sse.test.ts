import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { eventParser, reconnectDelay } from './sse.ts'

describe('event stream parser', () => {
  test('events split across chunks come out whole; heartbeats and unknown fields are passed over', () => {
    const parser = eventParser()
    assert.deepEqual(parser.push('retry: 2000\n\n: heartbeat\n\nid: a1\nevent: my'), [])
    assert.deepEqual(parser.push('page\ndata: {"n":1}\n\nid: a2\nfoo: bar\ndata: {"n"'), [
      { id: 'a1', event: 'mypage', data: '{"n":1}' },
    ])
    assert.deepEqual(parser.push(':2}\n\n'), [{ id: 'a2', event: 'message', data: '{"n":2}' }])
    assert.equal(parser.retryMs(), 2000)
  })

  test('multi-line data is joined with newlines; CRLF line ends work', () => {
    const parser = eventParser()
    assert.deepEqual(parser.push('data: one\r\ndata:two\r\n\r\n'), [
      { id: undefined, event: 'message', data: 'one\ntwo' },
    ])
  })
})

describe('reconnecting', () => {
  test("after a clean end the server's retry, then longer after each failure in a row, capped", () => {
    assert.deepEqual(
      [0, 1, 2, 3, 10].map((failures) => reconnectDelay(failures, 2000, 30_000)),
      [2000, 2000, 4000, 8000, 30_000],
    )
  })
})
