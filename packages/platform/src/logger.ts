import { type Logger, type LoggerOptions, pino } from 'pino'

export type { Logger }

/** JSON lines to stdout, one logger per process; services log through children named after them. */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  const settings: LoggerOptions = {
    level: options.level ?? 'info',
    base: options.name ? { service: options.name } : {},
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }
  return pino(settings)
}
