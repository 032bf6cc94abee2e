import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { type DestinationStream, pino } from 'pino'
import pinoRoll from 'pino-roll'
import type { ConfigReader } from '../config.ts'
import { type Logger, logLineOptions } from '../logger.ts'

export interface LogFileSettings {
  /** Each service writes under `<dir>/<service>/`; unset: stdout only. */
  readonly dir: string | undefined
  readonly maxSizeMb: number
  readonly frequency: 'daily' | 'hourly'
  /** Files kept per service, the current one included. */
  readonly keep: number
}

export function logFileSettings(read: ConfigReader): LogFileSettings {
  return {
    dir: read.optional('LOG_DIR'),
    maxSizeMb: read.int('LOG_FILE_MAX_MB', 10, { min: 1, max: 10_000 }),
    frequency: read.oneOf('LOG_FILE_ROTATE', ['daily', 'hourly'] as const, 'daily'),
    keep: read.int('LOG_FILE_KEEP', 14, { min: 2, max: 10_000 }),
  }
}

export interface ServiceLog {
  readonly log: Logger
  /** Writes what is buffered and closes the file; lines logged later go to stdout only. */
  close(): Promise<void>
}

/**
 * A service's logger: a child of the process's logger, and with `LOG_DIR` one that also appends to
 * `<LOG_DIR>/<service>/<service>.<date>.<n>.log` (`current.log` links the newest). pino-roll runs
 * in this thread, not as a transport thread per service, so six services in one process (or in
 * worker threads, each building its own) cost no extra threads. A restart continues the day's
 * newest file; a new file starts at `maxSizeMb` and each day (or hour), and the oldest beyond
 * `keep` are removed when a file is started.
 */
export async function serviceLogger(
  parent: Logger,
  name: string,
  settings: LogFileSettings,
): Promise<ServiceLog> {
  if (!settings.dir) return { log: parent.child({ service: name }), close: async () => {} }
  // Its own directory: pino-roll numbers files after every file in the folder and links
  // `current.log` there. An absolute path: a relative one breaks the link.
  const dir = resolve(settings.dir, name)
  mkdirSync(dir, { recursive: true })
  const file = await pinoRoll({
    file: join(dir, name),
    extension: 'log',
    size: `${settings.maxSizeMb}m`,
    frequency: settings.frequency,
    dateFormat: settings.frequency === 'daily' ? 'yyyy-MM-dd' : 'yyyy-MM-dd-HH',
    symlink: true,
    limit: { count: settings.keep, removeOtherLogFiles: true },
  })
  let open = true
  let reported = false
  file.on('error', (error: Error) => {
    // A full disk must not stop the service; stdout still has every line.
    if (!reported) parent.error({ service: name, err: error, dir }, 'log file write failed')
    reported = true
  })
  const toFile: DestinationStream = {
    write: (line: string) => {
      if (open) file.write(line)
    },
  }
  const stdout = (parent as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym]
  const streams = [{ level: 'trace' as const, stream: toFile }]
  if (stdout) streams.push({ level: 'trace', stream: stdout })
  const log = pino(
    logLineOptions(parent.level, { ...parent.bindings(), service: name }),
    pino.multistream(streams),
  )
  return {
    log,
    close: () =>
      new Promise<void>((done) => {
        if (!open) return done()
        open = false
        file.once('close', () => done())
        file.end()
      }),
  }
}
