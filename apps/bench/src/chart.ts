import type { Check, ScenarioResult } from './targets.ts'

/** A figure against its target: `actual / limit` is what the bar shows. */
export interface ChartBar {
  readonly actual: number | null
  readonly limit: number
  readonly unit: string
  readonly met: boolean
  /** What the figure is, for its label ("p99", "median start"…). */
  readonly name: string
}

export interface ChartRow {
  readonly label: string
  /** Achieved throughput as a fraction of the target (1 or more meets it). */
  readonly throughput?: ChartBar
  /** Latency, time or memory as a fraction of its limit (1 or less meets it). */
  readonly limit?: ChartBar
  /** Shown instead of bars, e.g. why the scenario did not run. */
  readonly note?: string
}

export interface Chart {
  readonly title: string
  readonly subtitle: string
  readonly rows: readonly ChartRow[]
}

const bar = (check: Check | undefined): ChartBar | undefined =>
  check && { actual: check.actual, limit: check.limit, unit: check.unit, met: check.met, name: check.name }

/** One row per scenario: its plotted throughput check and its plotted limit check. */
export function chartRows(scenarios: readonly ScenarioResult[]): ChartRow[] {
  return scenarios.map((s) => {
    const throughput = bar(s.checks.find((c) => c.plot === 'throughput'))
    const limit = bar(s.checks.find((c) => c.plot === 'limit'))
    const note = s.error === undefined ? undefined : `not run: ${s.error.split('\n')[0]?.slice(0, 100)}`
    return {
      label: s.name,
      ...(throughput && { throughput }),
      ...(limit && { limit }),
      ...(note && { note }),
    }
  })
}

// Layout, in px. Bars run from 0 to `scaleMax` times the target; longer ones are cut at the edge
// (their label still gives the figure).
const width = 980
const labelWidth = 190
const panelWidth = 340
const panelGap = 40
const top = 92
const rowHeight = 46
const barHeight = 16
const scaleMax = 2
const ticks = [0, 0.5, 1, 1.5, 2]
const colours = { met: '#2e7d32', missed: '#c62828', none: '#9e9e9e', grid: '#d0d0d0', text: '#212121' }

// White outline under caption text, so the target line crossing it does not hide a digit.
const halo = ' stroke="#ffffff" stroke-width="3" paint-order="stroke"'

const xml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  )

const number = (n: number) => (Math.abs(n) >= 100 ? String(Math.round(n)) : String(Math.round(n * 10) / 10))
const fraction = (b: ChartBar) => (b.actual === null || b.limit <= 0 ? undefined : b.actual / b.limit)

function caption(b: ChartBar, kind: 'throughput' | 'limit'): string {
  const share = fraction(b)
  if (share === undefined) return `${b.name}: not measured`
  const sign = kind === 'throughput' ? '≥' : '≤'
  const unit = b.unit ? ` ${b.unit}` : ''
  return `${share.toFixed(2)}× · ${b.name} ${number(b.actual ?? 0)}${unit} (target ${sign} ${number(b.limit)}${unit})`
}

function panel(x: number, title: string, rows: readonly ChartRow[], kind: 'throughput' | 'limit'): string[] {
  const scale = (f: number) => x + (Math.min(f, scaleMax) / scaleMax) * panelWidth
  const bottom = top + rows.length * rowHeight
  const parts = [`<text x="${x}" y="${top - 30}" font-weight="bold">${xml(title)}</text>`]
  for (const t of ticks) {
    const at = scale(t)
    const target = t === 1
    parts.push(
      `<line x1="${at}" y1="${top - 8}" x2="${at}" y2="${bottom}" stroke="${target ? colours.text : colours.grid}"` +
        `${target ? ' stroke-dasharray="4 3"' : ''}/>`,
      `<text x="${at}" y="${top - 12}" text-anchor="middle" font-size="10">${t}×</text>`,
    )
  }
  rows.forEach((row, i) => {
    const b = row[kind]
    if (!b) return
    const y = top + i * rowHeight + 4
    const share = fraction(b)
    const colour = share === undefined ? colours.none : b.met ? colours.met : colours.missed
    const length = share === undefined ? 0 : scale(share) - x
    parts.push(
      `<rect x="${x}" y="${y}" width="${length.toFixed(1)}" height="${barHeight}" fill="${colour}"/>`,
      `<text x="${x}" y="${y + barHeight + 13}" font-size="11"${halo}>${xml(caption(b, kind))}</text>`,
    )
  })
  return parts
}

/** The chart in words, for screen readers and for anyone reading the file itself. */
function description(rows: readonly ChartRow[]): string {
  const parts = rows.map((row) => {
    const bars = [
      row.throughput && caption(row.throughput, 'throughput'),
      row.limit && caption(row.limit, 'limit'),
    ]
    const said = [...bars.filter((b): b is string => b !== undefined), ...(row.note ? [row.note] : [])]
    return `${row.label}: ${said.join('; ')}`
  })
  return parts.join('. ')
}

/**
 * The suite's results as an SVG: per scenario, achieved throughput as a fraction of its target and
 * p99 (or start time, or memory) as a fraction of its limit; green met, red missed. Generic font
 * families only, so it renders the same without any font being fetched.
 */
export function renderChart(chart: Chart): string {
  const height = top + chart.rows.length * rowHeight + 24
  const left = labelWidth
  const right = labelWidth + panelWidth + panelGap
  const labels = chart.rows.flatMap((row, i) => {
    const y = top + i * rowHeight + 4 + barHeight - 3
    const note =
      row.note && `<text x="${left}" y="${y}" fill="${colours.missed}"${halo}>${xml(row.note)}</text>`
    return [`<text x="12" y="${y}" font-weight="bold">${xml(row.label)}</text>`, ...(note ? [note] : [])]
  })
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="12" fill="${colours.text}" role="img" ` +
      'aria-labelledby="chart-title chart-desc">',
    `<title id="chart-title">${xml(chart.title)}</title>`,
    `<desc id="chart-desc">${xml(description(chart.rows))}</desc>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="16" font-weight="bold">${xml(chart.title)}</text>`,
    `<text x="12" y="42" font-size="11">${xml(chart.subtitle)}</text>`,
    ...labels,
    ...panel(left, 'Throughput ÷ target (≥ 1× meets)', chart.rows, 'throughput'),
    ...panel(right, 'p99 (or time, memory) ÷ limit (≤ 1× meets)', chart.rows, 'limit'),
    '</svg>',
    '',
  ].join('\n')
}
