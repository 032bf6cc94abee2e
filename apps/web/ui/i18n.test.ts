import assert from 'node:assert/strict'
import { test } from 'node:test'
import { dictionaries, formatNumber, translate } from './i18n.ts'

test('both languages have every text, with the same placeholders', () => {
  const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
  assert.deepEqual(Object.keys(dictionaries.en).sort(), Object.keys(dictionaries.ko).sort())
  for (const [key, text] of Object.entries(dictionaries.ko)) {
    assert.deepEqual(
      placeholders(dictionaries.en[key as keyof typeof dictionaries.en]),
      placeholders(text),
      key,
    )
  }
})

test('placeholders are filled; won is written with thousands separators in both languages', () => {
  assert.equal(translate('ko', 'won', { amount: formatNumber(13500) }), '13,500원')
  assert.equal(translate('en', 'won', { amount: formatNumber(13500) }), '₩13,500')
  assert.equal(translate('en', 'position', { position: 2 }), '#2 in line · about {minutes} min')
})
