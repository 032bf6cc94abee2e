import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, configReader } from '@cafeteria/platform'
import { defaultMenu, parseMenu, readMenu } from './menu.ts'

test('without MENU the default Korean cafe menu is served', () => {
  assert.equal(readMenu(configReader({})), defaultMenu)
  assert.ok(defaultMenu.every((item) => item.en && item.price > 0))
})

test('MENU is a JSON array of names, optional English names and whole won prices', () => {
  assert.deepEqual(
    parseMenu('[{"name":" 아인슈페너 ","en":"Einspänner","price":6000},{"name":"에스프레소","price":0}]'),
    {
      items: [
        { name: '아인슈페너', en: 'Einspänner', price: 6000 },
        { name: '에스프레소', price: 0 },
      ],
    },
  )
})

for (const [raw, problem] of [
  ['latte=5000', /not JSON/],
  ['[]', /1 to 100 items/],
  ['{"name":"x","price":1}', /JSON array/],
  ['[{"price":1}]', /item 1: "name"/],
  ['[{"name":"x","price":1.5}]', /item 1: "price"/],
  ['[{"name":"x","price":-1}]', /"price"/],
  ['[{"name":"x","price":100000001}]', /"price"/],
  ['[{"name":"x","en":"","price":1}]', /"en"/],
  ['[{"name":"x","price":1},{"name":"x","price":2}]', /listed twice/],
] as const) {
  test(`MENU ${raw} is refused: ${problem}`, () => {
    const parsed = parseMenu(raw)
    assert.ok('problem' in parsed)
    assert.match(parsed.problem, problem)
  })
}

test('a bad MENU stops the start, named together with the other bad settings', () => {
  const read = configReader({ MENU: '[]', GATEWAY_PORT: 'x' })
  read.int('GATEWAY_PORT', 8080)
  assert.throws(
    () => readMenu(read),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.problems.some((p) => p.startsWith('MENU:')) &&
      error.problems.some((p) => p.startsWith('GATEWAY_PORT')),
  )
})
