import { type ConfigReader, type LiveSettings, liveSettings, staffTokenSetting } from '@cafeteria/platform'
import { DEFAULT_MAKE_SECONDS } from './queue.ts'

export interface DrinkSettings {
  /**
   * The barista's steps, the tickets and the board need `Authorization: Bearer <STAFF_TOKEN>` (or
   * the file named by `STAFF_TOKEN_FILE`; at least 24 characters). Unset, they refuse everyone,
   * except in open mode, where they are open as in the original. A local run makes one.
   */
  readonly staffToken: string | undefined
  /**
   * Wrong staff tokens a client address may send in a minute; the next check answers 429 until
   * the minute is over (`STAFF_TOKEN_FAILURES_PER_MINUTE`; 0: no limit).
   */
  readonly staffFailuresPerMinute: number
  /** The make time assumed before any drink was made (`QUEUE_DEFAULT_MAKE_SECONDS`). */
  readonly defaultMakeSeconds: number
  readonly live: LiveSettings
}

export const drinkSettings = (read: ConfigReader): DrinkSettings => ({
  staffToken: staffTokenSetting(read),
  staffFailuresPerMinute: read.int('STAFF_TOKEN_FAILURES_PER_MINUTE', 10, { max: 10_000 }),
  defaultMakeSeconds: read.int('QUEUE_DEFAULT_MAKE_SECONDS', DEFAULT_MAKE_SECONDS, { min: 1, max: 3600 }),
  live: liveSettings(read),
})
