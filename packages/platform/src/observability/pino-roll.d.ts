declare module 'pino-roll' {
  import type { EventEmitter } from 'node:events'

  /** The SonicBoom file stream pino-roll returns, as far as the platform uses it. */
  export interface RollingStream extends EventEmitter {
    readonly file: string
    write(chunk: string): boolean
    end(): void
  }

  export interface PinoRollOptions {
    file: string
    size?: string | number
    frequency?: 'daily' | 'hourly' | number
    extension?: string
    dateFormat?: string
    symlink?: boolean
    mkdir?: boolean
    limit?: { count: number; removeOtherLogFiles?: boolean }
  }

  export default function pinoRoll(options: PinoRollOptions): Promise<RollingStream>
}
