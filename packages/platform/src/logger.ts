import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino'

export type { Logger }

/** The line format every logger of the system writes: JSON, ISO time, the level by name. */
export function logLineOptions(level: string, base: Record<string, unknown>): LoggerOptions {
  return {
    level,
    base,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }
}

/**
 * JSON lines to stdout (or `destination`), one logger per process or worker thread; services log
 * through children named after them, which may also write a file of their own (log-files.ts).
 */
export function createLogger(
  options: { level?: string; name?: string; destination?: DestinationStream } = {},
): Logger {
  const settings = logLineOptions(options.level ?? 'info', options.name ? { service: options.name } : {})
  return options.destination ? pino(settings, options.destination) : pino(settings)
}
