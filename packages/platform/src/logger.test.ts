import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createLogger, maskPhoneNumbers } from './logger.ts'

const capture = () => {
  const lines: string[] = []
  const log = createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } })
  return { log, lines }
}

test('a phone number keeps its first three and last four digits, however it is written', () => {
  assert.equal(maskPhoneNumbers('01012345679'), '010****5679')
  assert.equal(maskPhoneNumbers('010-1234-5679'), '010-****-5679')
  assert.equal(maskPhoneNumbers('0111234567'), '011***4567')
  assert.equal(
    maskPhoneNumbers('/mypages/search/findByPhoneNumber?phoneNumber=01012345679&x=1'),
    '/mypages/search/findByPhoneNumber?phoneNumber=010****5679&x=1',
  )
  assert.equal(maskPhoneNumbers('?phoneNumber=010%201234%205679'), '?phoneNumber=010%20****%205679')
  assert.equal(
    maskPhoneNumbers('"To. 01012345679\\nYour Order is Ordered"'),
    '"To. 010****5679\\nYour Order is Ordered"',
  )
})

test('digits that are not a phone number are left alone', () => {
  for (const text of [
    '1701012345679', // a longer number
    'a01012345679f', // inside a hex id
    '02-1234-5678', // a landline
    '010123', // too short
    '"orderId":123456789012',
  ]) {
    assert.equal(maskPhoneNumbers(text), text)
  }
})

test('no logged line carries a whole phone number: message, fields at any depth, errors, bindings', () => {
  const { log, lines } = capture()
  const child = log.child({ service: 'customercenter', phoneNumber: '01012345679' })
  child.info(
    { to: '010-9876-5432', nested: { list: ['01055501234'] } },
    'To. 01012345679\nYour Order is Ordered',
  )
  child.warn({ err: new Error('webhook refused 01012345679') }, 'not delivered')
  assert.equal(lines.length, 2)
  for (const line of lines) {
    assert.doesNotMatch(line, /01012345679|9876-5432|01055501234/, line)
    JSON.parse(line)
  }
  const [first, second] = lines.map((line) => JSON.parse(line))
  assert.equal(first.msg, 'To. 010****5679\nYour Order is Ordered')
  assert.equal(first.phoneNumber, '010****5679')
  assert.equal(first.to, '010-****-5432')
  assert.deepEqual(first.nested, { list: ['010****1234'] })
  assert.equal(second.err.message, 'webhook refused 010****5679')
  assert.match(second.err.stack, /webhook refused 010\*\*\*\*5679/)
})
