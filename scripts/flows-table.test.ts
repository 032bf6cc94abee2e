import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { README, withFlowsSection } from './flows-table.ts'

test("the README's event table and cancel saga are the ones the flows table writes", () => {
  const readme = readFileSync(README, 'utf8')
  assert.equal(readme, withFlowsSection(readme), 'README.md is out of date: run `npm run docs:flows`')
})

test('a README without the markers is refused rather than left alone', () => {
  assert.throws(() => withFlowsSection('# cafeteria\n'), /flows:start/)
})
