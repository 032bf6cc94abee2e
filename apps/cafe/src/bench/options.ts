import { parseArgs } from 'node:util'

export type Mode = 'embedded' | 'distributed'

export interface BenchOptions {
  readonly modes: readonly Mode[]
  readonly durationS: number
  readonly connections: number
  readonly jsonFile: string
}

export const usage = `usage: cafe bench [options]

Load-tests POST /orders through the gateway of a freshly started system (a real process with a
fresh store), after calibrating the machine with a bare node:http server (H, its req/s). Then
checks that every order placed got its payment and its drink ticket.

  --mode <m>          embedded | distributed | both (default embedded)
  --duration <s>      seconds of load per mode (default 10)
  --connections <n>   concurrent connections (default 50)
  --json <file>       where the summary goes too (default bench-results/bench-<timestamp>.json)
  --help              this text

The summary is printed as JSON on stdout; progress goes to stderr. Exits 1 when an order is
missing its payment or its ticket, 0 otherwise (missed targets included).
`

/** Parsed options, or undefined when --help was asked for. */
export function parseBenchArgs(args: string[], now = new Date()): BenchOptions | undefined {
  const { values } = parseArgs({
    args,
    options: {
      mode: { type: 'string', default: 'embedded' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) return undefined
  const modes: Record<string, Mode[]> = {
    embedded: ['embedded'],
    distributed: ['distributed'],
    both: ['embedded', 'distributed'],
  }
  const chosen = modes[values.mode]
  if (!chosen) throw new Error(`--mode must be embedded, distributed or both, not '${values.mode}'`)
  const stamp = now.toISOString().replace(/[:.]/g, '-')
  return {
    modes: chosen,
    durationS: positiveInt('--duration', values.duration),
    connections: positiveInt('--connections', values.connections),
    jsonFile: values.json ?? `bench-results/bench-${stamp}.json`,
  }
}

function positiveInt(name: string, text: string): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a whole number ≥ 1, not '${text}'`)
  return value
}
