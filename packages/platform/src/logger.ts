import { createRequire } from 'node:module'
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino'
import type { PrettyOptions } from 'pino-pretty'
import { ConfigError } from './config.ts'

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
    hooks: {
      streamWrite: maskPhoneNumbers,
      // A call with nothing to say writes no line: Fastify's listening line, its text turned off
      // because the service's own start-up line says where it listens, and more.
      logMethod(args, method) {
        if (args.length === 1 && args[0] === '') return
        method.apply(this, args)
      },
    },
  }
}

/** JSON lines, or lines for a person to read. */
export type LogFormat = 'json' | 'pretty'

/**
 * How the console shows the lines: readable at a terminal, JSON lines for anything that reads
 * them (a pipe, a file, a container's log collector). `LOG_FORMAT` (`json`, `pretty`) says
 * otherwise. Log files (log-files.ts) are JSON lines whatever this says.
 */
export function consoleFormat(stdout: { readonly isTTY?: boolean }, setting?: string): LogFormat {
  if (setting === undefined || setting === '') return stdout.isTTY ? 'pretty' : 'json'
  if (setting === 'json' || setting === 'pretty') return setting
  throw new ConfigError([`LOG_FORMAT: "${setting}" is not one of json, pretty`])
}

/**
 * One line per entry: time, level, service, message, then the other fields. The lines it is given
 * are the finished JSON lines, phone numbers already masked. Written synchronously, so they
 * keep their order with what the process prints itself (the start-up banner).
 */
function prettyLines(destination: DestinationStream | number): DestinationStream {
  // Loaded only for a terminal: every thread and process loads this module, most of them to write JSON.
  const pretty = createRequire(import.meta.url)('pino-pretty') as (
    options: PrettyOptions,
  ) => DestinationStream
  return pretty({
    destination: destination as never,
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'service',
    messageFormat: '{if service}{service}: {end}{msg}',
  })
}

/**
 * Lines to stdout (or `destination`), JSON unless `format` says `pretty`; one logger per process or
 * worker thread. Services log through children named after them, which may also write a file of
 * their own (log-files.ts).
 */
export function createLogger(
  options: { level?: string; name?: string; destination?: DestinationStream; format?: LogFormat } = {},
): Logger {
  const settings = logLineOptions(options.level ?? 'info', options.name ? { service: options.name } : {})
  const destination =
    options.format === 'pretty' ? prettyLines(options.destination ?? 1) : options.destination
  return destination ? pino(settings, destination) : pino(settings)
}
