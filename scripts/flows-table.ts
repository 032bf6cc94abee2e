import { readFileSync, writeFileSync } from 'node:fs'
import { type EventType, eventSchemas, flows } from '@cafeteria/contracts'

/**
 * `npm run docs:flows`: writes the README's event table, and the cancel saga's diagram, from the
 * contracts' flows table, between the markers below. `flows-table.test.ts` fails while the README
 * says anything else, so the map cannot drift from the code.
 */
export const README = new URL('../README.md', import.meta.url)
const START = '<!-- flows:start -->'
const END = '<!-- flows:end -->'

const types = Object.keys(flows) as EventType[]

const carries = (type: EventType) => Object.keys(eventSchemas[type].properties.data.properties).join(', ')

function consumers(type: EventType): string {
  const entries = Object.entries(flows[type].consumers)
  if (entries.length === 0) return '— (audit only: nobody reacts)'
  return entries.map(([service, why]) => `${service} (${why})`).join(', ')
}

export function eventTable(): string {
  const rows = types.map((type) => {
    const { producer, when } = flows[type]
    return `| \`${type}\` | ${producer}, ${when} | ${carries(type)} | ${consumers(type)} |`
  })
  return ['| event | from | carries | consumed by |', '|---|---|---|---|', ...rows].join('\n')
}

/** The saga's shape: who answers whom is the table's; which reply excludes which is said here. */
const cancelSaga = {
  start: 'OrderCanceled',
  outcomes: [['DrinkCanceled', 'PaymentCanceled'], ['CancelFailed']],
} as const satisfies { start: EventType; outcomes: readonly (readonly EventType[])[] }

const arrows = (type: EventType, indent: string) =>
  Object.keys(flows[type].consumers).map((to) => `${indent}${flows[type].producer}-)${to}: ${type}`)

export function cancelSagaDiagram(): string {
  const { start, outcomes } = cancelSaga
  const branches = outcomes.flatMap((events, i) => [
    `  ${i === 0 ? 'alt' : 'else'} ${flows[events[0]].when}`,
    ...events.flatMap((type) => arrows(type, '    ')),
  ])
  return [
    '```mermaid',
    'sequenceDiagram',
    `  Note over ${flows[start].producer}: ${start} ${flows[start].when}`,
    ...arrows(start, '  '),
    ...branches,
    '  end',
    '```',
  ].join('\n')
}

export function flowsSection(): string {
  return [
    START,
    '<!-- Written by `npm run docs:flows` from packages/contracts/src/flows.ts: change that, not this. -->',
    eventTable(),
    '',
    'The cancel saga, from the same table (events are asynchronous: each arrow is one consumer):',
    '',
    cancelSagaDiagram(),
    END,
  ].join('\n')
}

/** `readme` with its flows section written anew; its markers must be there already. */
export function withFlowsSection(readme: string): string {
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  if (start < 0 || end < start) throw new Error(`README.md needs ${START} and ${END}, in that order`)
  return readme.slice(0, start) + flowsSection() + readme.slice(end + END.length)
}

if (import.meta.main) {
  const readme = readFileSync(README, 'utf8')
  const written = withFlowsSection(readme)
  if (written !== readme) writeFileSync(README, written)
  console.log(written === readme ? 'README.md: the flows were already current' : 'README.md: flows written')
}
