import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { stripVTControlCharacters } from 'node:util'
import { ConfigError } from './config.ts'
import { consoleFormat, createLogger, maskPhoneNumbers } from './logger.ts'

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

test('the console is readable at a terminal and JSON lines elsewhere, unless LOG_FORMAT says', () => {
  assert.equal(consoleFormat({ isTTY: true }), 'pretty')
  assert.equal(consoleFormat({ isTTY: false }), 'json')
  // A pipe or a file: Node leaves isTTY unset.
  assert.equal(consoleFormat({}), 'json')
  assert.equal(consoleFormat({ isTTY: true }, 'json'), 'json')
  assert.equal(consoleFormat({}, 'pretty'), 'pretty')
  assert.throws(() => consoleFormat({ isTTY: true }, 'yaml'), ConfigError)
})

test('a pretty line is one readable line with the service and the fields, phone numbers masked', () => {
  const written: string[] = []
  const log = createLogger({
    level: 'info',
    format: 'pretty',
    destination: new Writable({
      write(chunk, _encoding, done) {
        written.push(String(chunk))
        done()
      },
    }),
  })
  log.child({ service: 'order' }).info({ url: 'http://127.0.0.1:8081', to: '01012345679' }, 'service started')
  // Colours or not, as the terminal supports them.
  const text = stripVTControlCharacters(written.join(''))
  assert.match(
    text,
    /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: order: service started \{.*"url":"http:\/\/127\.0\.0\.1:8081"/,
  )
  assert.match(text, /"to":"010\*\*\*\*5679"/)
  assert.doesNotMatch(text, /01012345679/)
  assert.equal(text.trimEnd().split('\n').length, 1)
})
