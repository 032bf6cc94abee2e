import { readFileSync } from 'node:fs'

/** The fields of /proc/<pid>/status that matter here, in kB. */
export interface MemoryStatus {
  /** Resident set size now. */
  readonly rssKb: number
  /** The highest resident set size since the process started (high water mark). */
  readonly hwmKb: number
}

export function parseStatus(text: string): MemoryStatus | undefined {
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(text)
    return match ? Number(match[1]) : undefined
  }
  const rssKb = field('VmRSS')
  const hwmKb = field('VmHWM')
  return rssKb === undefined || hwmKb === undefined ? undefined : { rssKb, hwmKb }
}

export interface MemoryPeak {
  /** The largest VmRSS among the samples taken while the load ran. */
  readonly sampledPeakMb: number
  /** VmHWM when the load stopped: the true peak so far, spikes between samples included. */
  readonly highWaterMb: number
  readonly samples: number
}

/**
 * Samples the process's memory until stopped. The embedded system runs its services as worker
 * threads of one process, so one process's figures are the whole system's.
 */
export function memorySampler(pid: number, everyMs = 100): { stop(): MemoryPeak | undefined } {
  let peakKb = 0
  let samples = 0
  const read = () => {
    try {
      return parseStatus(readFileSync(`/proc/${pid}/status`, 'utf8'))
    } catch {
      return undefined
    }
  }
  const sample = () => {
    const status = read()
    if (!status) return
    samples++
    peakKb = Math.max(peakKb, status.rssKb)
  }
  sample()
  const timer = setInterval(sample, everyMs)
  return {
    stop() {
      clearInterval(timer)
      sample()
      const last = read()
      if (!last || samples === 0) return undefined
      return { sampledPeakMb: mb(peakKb), highWaterMb: mb(last.hwmKb), samples }
    },
  }
}

const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10
