import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino'

export type { Logger }

/**
 * A Korean mobile number as it may appear in a line: `01012345679`, `010-1234-5679` (a URL may
 * carry `.`, a space, `+` or `%20` between the groups). Not inside a longer run of digits or
 * letters (ids, hashes), but right after a JSON escape such as the `\n` of a message.
 */
const PHONE_NUMBER =
  /(?:(?<![0-9A-Za-z])|(?<=\\[bfnrt]))(01[016-9])((?:[-.\s+]|%20)?)(\d{3,4})((?:[-.\s+]|%20)?)(\d{4})(?![0-9A-Za-z])/g

/** `01012345679` → `010****5679`: the first three and last four digits are kept. */
export function maskPhoneNumbers(text: string): string {
  return text.replace(
    PHONE_NUMBER,
    (_whole, head: string, gap: string, middle: string, gap2: string, tail: string) =>
      `${head}${gap}${'*'.repeat(middle.length)}${gap2}${tail}`,
  )
}

/**
 * The line format every logger of the system writes: JSON, ISO time, the level by name. Phone
 * numbers are masked in the finished line, whichever part of it they are in (a message, an
 * access line's path and query, an error, a field of any depth), so no call site has to.
 */
export function logLineOptions(level: string, base: Record<string, unknown>): LoggerOptions {
  return {
    level,
    base,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    hooks: { streamWrite: maskPhoneNumbers },
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
