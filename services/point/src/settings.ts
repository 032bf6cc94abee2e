import { type ConfigReader, type LiveSettings, liveSettings } from '@cafeteria/platform'

export interface PointSettings {
  readonly live: LiveSettings
}

export const pointSettings = (read: ConfigReader): PointSettings => ({ live: liveSettings(read) })
