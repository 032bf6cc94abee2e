import { readdirSync, readFileSync } from 'node:fs'

// Linux reports CPU time in clock ticks of 1/100 s (USER_HZ) on every architecture Node supports.
const TICKS_PER_S = 100
/** The servers distributed mode loads: their work is the bench's, whoever else uses them. */
const servers = new Set(['postgres', 'mariadbd', 'mysqld', 'nats-server'])

/** Where the machine's CPU went while a phase ran. */
export interface PhaseCpu {
  /**
   * Cores used by everything else (0.5 = half a core): a neighbour on the shared machine. Not
   * counted: this process, everything it started, and the database and NATS servers.
   */
  readonly otherCores: number
  /** CPU seconds of the system under test (its process tree), when one was named. */
  readonly systemS: number | undefined
  /** CPU seconds of the database and NATS servers (a neighbour's queries included). */
  readonly serversS: number
}

interface Snapshot {
  readonly at: number
  readonly busy: number
  readonly own: number
  readonly servers: number
  readonly system: number
}

/**
 * Measures a phase from /proc. CPU time per order is steadier than orders per second on a
 * shared machine: a neighbour slows the run but barely changes what each order costs.
 * `stop()` answers undefined where /proc is not there.
 */
export function cpuMeter(systemPid?: number): { stop(): PhaseCpu | undefined } {
  const start = snapshot(systemPid)
  return {
    stop() {
      const end = snapshot(systemPid)
      if (!start || !end || end.at <= start.at) return undefined
      const seconds = (end.at - start.at) / 1000
      const delta = (key: keyof Snapshot) => (end[key] - start[key]) / TICKS_PER_S
      const others = delta('busy') - delta('own') - delta('servers')
      return {
        otherCores: Math.max(0, Math.round((others / seconds) * 100) / 100),
        systemS: systemPid === undefined ? undefined : delta('system'),
        serversS: delta('servers'),
      }
    },
  }
}

function snapshot(systemPid: number | undefined): Snapshot | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number)
    if (!fields || fields.length < 8) return undefined
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields
    return {
      at: Date.now(),
      busy: user + nice + system + irq + softirq + steal,
      own: treeTicks(process.pid),
      servers: serverTicks(),
      system: systemPid === undefined ? 0 : treeTicks(systemPid),
    }
  } catch {
    return undefined
  }
}

/** CPU ticks of a process and its live descendants. */
function treeTicks(pid: number): number {
  let ticks = 0
  try {
    ticks += processTicks(pid).ticks
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()
    for (const child of children ? children.split(' ') : []) ticks += treeTicks(Number(child))
  } catch {
    // The process exited between the listing and the read.
  }
  return ticks
}

function serverTicks(): number {
  let ticks = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const { name, ticks: used } = processTicks(Number(entry))
      if (servers.has(name)) ticks += used
    } catch {
      // Gone meanwhile.
    }
  }
  return ticks
}

/** User plus system time of one process, from /proc/<pid>/stat. */
function processTicks(pid: number): { name: string; ticks: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name may hold spaces or parentheses: fields are counted after the last ')'.
  const close = stat.lastIndexOf(')')
  const after = stat.slice(close + 2).split(' ')
  return { name: stat.slice(stat.indexOf('(') + 1, close), ticks: Number(after[11]) + Number(after[12]) }
}
