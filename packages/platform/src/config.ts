import { readFileSync } from 'node:fs'

export type Env = Readonly<Record<string, string | undefined>>

export class ConfigError extends Error {
  readonly problems: readonly string[]
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

/**
 * Reads typed settings from the environment. A secret may come from a file instead
 * (`NAME_FILE=/run/secrets/x`, as Kubernetes and Docker mount them). Every problem is collected
 * and reported at once by `done()`, so a bad deployment stops at start-up with one clear message.
 */
export function configReader(env: Env) {
  const problems: string[] = []
  const raw = (name: string): string | undefined => {
    const direct = env[name]
    if (direct !== undefined && direct !== '') return direct
    const file = env[`${name}_FILE`]
    if (!file) return undefined
    try {
      return readFileSync(file, 'utf8').trim()
    } catch (error) {
      problems.push(`${name}_FILE: cannot read ${file} (${(error as Error).message})`)
      return undefined
    }
  }
  const read = {
    string(name: string, fallback: string): string {
      return raw(name) ?? fallback
    },
    optional(name: string): string | undefined {
      return raw(name)
    },
    int(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
      const value = raw(name)
      if (value === undefined) return fallback
      const n = Number(value)
      if (!/^-?\d+$/.test(value) || n < min || n > max) {
        problems.push(`${name}: "${value}" is not a whole number between ${min} and ${max}`)
        return fallback
      }
      return n
    },
    /** A fraction strictly between 0 and 1, such as 0.3. */
    ratio(name: string, fallback: number): number {
      const value = raw(name)
      if (value === undefined) return fallback
      const n = Number(value)
      if (!/^\d*\.?\d+$/.test(value) || !(n > 0 && n < 1)) {
        problems.push(`${name}: "${value}" is not a fraction between 0 and 1 (exclusive), such as 0.3`)
        return fallback
      }
      return n
    },
    bool(name: string, fallback: boolean): boolean {
      const value = raw(name)?.toLowerCase()
      if (value === undefined) return fallback
      if (['1', 'true', 'yes', 'on'].includes(value)) return true
      if (['0', 'false', 'no', 'off'].includes(value)) return false
      problems.push(`${name}: "${value}" is not a boolean (true/false)`)
      return fallback
    },
    oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
      const value = raw(name)
      if (value === undefined) return fallback
      if ((values as readonly string[]).includes(value)) return value as T
      problems.push(`${name}: "${value}" is not one of ${values.join(', ')}`)
      return fallback
    },
    url(name: string, fallback: string): string {
      const value = raw(name) ?? fallback
      if (!URL.canParse(value)) problems.push(`${name}: "${value}" is not a URL`)
      return value
    },
    /** One URL or a comma-separated list of them (a service's replicas). */
    urls(name: string, fallback: string): string[] {
      const value = raw(name) ?? fallback
      const urls = value
        .split(',')
        .map((u) => u.trim())
        .filter((u) => u !== '')
      const bad = urls.filter((u) => !URL.canParse(u))
      if (urls.length === 0 || bad.length > 0)
        problems.push(`${name}: "${value}" is not a URL or a comma-separated list of URLs`)
      return urls
    },
    /** A problem no single setting shows (two settings that do not go together). */
    refuse(problem: string): void {
      problems.push(problem)
    },
    /** Throws one ConfigError naming every bad setting read so far. */
    done(): void {
      if (problems.length > 0) throw new ConfigError(problems)
    },
  }
  return read
}

export type ConfigReader = ReturnType<typeof configReader>
