import { type ConfigReader, type LiveSettings, liveSettings } from '@cafeteria/platform'
import { DEFAULT_MAKE_SECONDS } from './queue.ts'

export interface DrinkSettings {
  /**
   * The barista's steps and board need `Authorization: Bearer <STAFF_TOKEN>` (or the file named by
   * `STAFF_TOKEN_FILE`). Unset, they are open to anyone who can reach the gateway: fine on a
   * trusted counter network, and said so in the log at start-up.
   */
  readonly staffToken: string | undefined
  /** The make time assumed before any drink was made (`QUEUE_DEFAULT_MAKE_SECONDS`). */
  readonly defaultMakeSeconds: number
  readonly live: LiveSettings
}

export const drinkSettings = (read: ConfigReader): DrinkSettings => ({
  staffToken: read.optional('STAFF_TOKEN'),
  defaultMakeSeconds: read.int('QUEUE_DEFAULT_MAKE_SECONDS', DEFAULT_MAKE_SECONDS, { min: 1, max: 3600 }),
  live: liveSettings(read),
})
