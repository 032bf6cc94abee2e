import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type ChartRow, chartRows, renderChart } from './chart.ts'
import { atMost, failedScenario, p99Check, rateCheck, scenarioResult } from './targets.ts'

const rects = (svg: string) =>
  [...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="16" fill="(#[0-9a-f]+)"\/>/g)].map(
    ([, x, width, fill]) => ({ x: Number(x), width: Number(width), fill }),
  )

const rows: ChartRow[] = [
  {
    label: 'fast',
    throughput: { name: 'throughput', actual: 150, limit: 100, unit: 'orders/s', met: true },
    limit: { name: 'p99', actual: 50, limit: 200, unit: 'ms', met: true },
  },
  {
    label: 'slow',
    throughput: { name: 'throughput', actual: 50, limit: 100, unit: 'orders/s', met: false },
    limit: { name: 'p99', actual: 900, limit: 150, unit: 'ms', met: false },
  },
]

test('given two scenarios, when drawn, then bar lengths are each figure as a share of its target', () => {
  const bars = rects(renderChart({ title: 't', subtitle: 's', rows }))
  assert.equal(bars.length, 4)
  const [fastRate, slowRate, fastP99, slowP99] = bars
  // The axis runs to 2× the target over 340 px: 1.5× is 255 px, 0.5× is 85 px, 0.25× is 42.5 px.
  assert.equal(fastRate?.width, 255)
  assert.equal(slowRate?.width, 85)
  assert.equal(fastP99?.width, 42.5)
  assert.ok(fastRate && fastP99 && fastP99.x > fastRate.x, 'the limit panel is right of the throughput panel')
  // 6× its limit is cut at the panel's edge; its label still tells the figure.
  assert.equal(slowP99?.width, 340)
})

test('given met and missed targets, when drawn, then met bars are green, missed red, with readable captions', () => {
  const svg = renderChart({ title: 't', subtitle: 's', rows })
  assert.deepEqual(
    rects(svg).map((b) => b.fill),
    ['#2e7d32', '#c62828', '#2e7d32', '#c62828'],
  )
  assert.match(svg, /1\.50× · throughput 150 orders\/s \(target ≥ 100 orders\/s\)/)
  assert.match(svg, /6\.00× · p99 900 ms \(target ≤ 150 ms\)/)
  // The same in words, for screen readers.
  assert.match(
    svg,
    /<desc id="chart-desc">fast: 1\.50× · throughput 150 orders\/s \(target ≥ 100 orders\/s\); 0\.25× · p99 50 ms/,
  )
})

test('given labels with markup, when drawn, then they are escaped and the document names no external font', () => {
  const svg = renderChart({ title: 'a <b> & "c"', subtitle: "it's", rows: [{ label: '<x>' }] })
  assert.match(svg, /a &lt;b&gt; &amp; &quot;c&quot;/)
  assert.match(svg, /it&#39;s/)
  assert.match(svg, /&lt;x&gt;/)
  assert.doesNotMatch(svg, /@import|@font-face|url\(/)
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
  assert.match(svg, /<title id="chart-title">a &lt;b&gt; &amp; &quot;c&quot;<\/title>/)
  assert.match(svg, /<\/svg>\n$/)
})

test('given a figure not measured, when drawn, then an empty grey bar and "not measured"', () => {
  const svg = renderChart({
    title: 't',
    subtitle: 's',
    rows: [{ label: 'x', limit: { name: 'p99', actual: null, limit: 100, unit: 'ms', met: false } }],
  })
  assert.deepEqual(rects(svg), [{ x: 570, width: 0, fill: '#9e9e9e' }])
  assert.match(svg, /p99: not measured/)
})

test('given scenario results, when turned into rows, then their plotted checks fill the two panels', () => {
  const result = scenarioResult('orders', 'd', {}, [
    rateCheck(120, 0.02, 'H(50)', 5000, 'orders/s'),
    p99Check(180, 200),
    atMost({ name: 'errors', actual: 0, limit: 0, unit: '' }),
  ])
  const memory = scenarioResult('memory', 'd', {}, [
    atMost({ name: 'peak RSS', actual: 250, limit: 300, unit: 'MB', plot: 'limit' }),
  ])
  assert.deepEqual(chartRows([result, memory]), [
    {
      label: 'orders',
      throughput: { name: 'throughput', actual: 120, limit: 100, unit: 'orders/s', met: true },
      limit: { name: 'p99', actual: 180, limit: 200, unit: 'ms', met: true },
    },
    { label: 'memory', limit: { name: 'peak RSS', actual: 250, limit: 300, unit: 'MB', met: true } },
  ])
})

test('given a scenario that could not run, when charted, then its row says why instead of drawing bars', () => {
  const rows = chartRows([failedScenario('distributed-reads', 'd', new Error('NATS is down\nstack…'))])
  assert.deepEqual(rows, [{ label: 'distributed-reads', note: 'not run: NATS is down' }])
  const svg = renderChart({ title: 't', subtitle: 's', rows })
  assert.equal(rects(svg).length, 0)
  assert.match(svg, />not run: NATS is down</)
})
