import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defaultMenu, type MenuSettingsReader, parseMenu, readMenu, slugOf } from './menu.ts'

/** Settings as a plain object, with the problems the reader would report at start-up. */
function settings(env: Record<string, string>) {
  const problems: string[] = []
  const read: MenuSettingsReader = {
    optional: (name) => env[name],
    int: (name, fallback) => (env[name] === undefined ? fallback : Number(env[name])),
    refuse: (problem) => {
      problems.push(problem)
    },
  }
  return { read, problems }
}

test('without MENU the default Korean cafe menu is served, at most 20 drinks an order', () => {
  const { read, problems } = settings({})
  assert.deepEqual(readMenu(read), { items: defaultMenu, maxQty: 20 })
  assert.deepEqual(problems, [])
  assert.ok(defaultMenu.every((item) => item.en && item.price > 0 && item.available))
  assert.equal(new Set(defaultMenu.map((item) => item.id)).size, defaultMenu.length)
  assert.equal(defaultMenu[0]?.id, 'americano')
})

test('MENU is a JSON array of names, ids, English names, whole won prices and availability', () => {
  assert.deepEqual(
    parseMenu(
      '[{"name":" 아인슈페너 ","en":"Einspänner","price":6000},{"id":"espresso","name":"에스프레소","price":0,"available":false}]',
    ),
    {
      items: [
        { id: '아인슈페너', name: '아인슈페너', en: 'Einspänner', price: 6000, available: true },
        { id: 'espresso', name: '에스프레소', price: 0, available: false },
      ],
    },
  )
})

test('an item without an id gets its name as a slug: the same every start', () => {
  assert.equal(slugOf('Caffè  Latte!'), 'caffe-latte')
  assert.equal(slugOf('카라멜 마키아토'), '카라멜-마키아토')
  const parsed = parseMenu('[{"name":"Flat White","price":5000}]')
  assert.ok('items' in parsed)
  assert.equal(parsed.items[0]?.id, 'flat-white')
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
  ['[{"name":"x","price":1,"available":"no"}]', /"available"/],
  ['[{"id":"Latte","name":"x","price":1}]', /"id" must be/],
  ['[{"id":"a b","name":"x","price":1}]', /"id" must be/],
  ['[{"id":7,"name":"x","price":1}]', /"id" must be/],
  ['[{"name":"☕","price":1}]', /give it an "id"/],
  ['[{"name":"Cold brew","price":1},{"name":"cold-brew","price":2}]', /id "cold-brew" is listed twice/],
] as const) {
  test(`MENU ${raw} is refused: ${problem}`, () => {
    const parsed = parseMenu(raw)
    assert.ok('problem' in parsed)
    assert.match(parsed.problem, problem)
  })
}

test('a bad MENU is a problem reported with the other settings, not a menu', () => {
  const { read, problems } = settings({ MENU: '[]' })
  assert.deepEqual(readMenu(read).items, [])
  assert.equal(problems.length, 1)
  assert.match(problems[0] ?? '', /^MENU: /)
})
