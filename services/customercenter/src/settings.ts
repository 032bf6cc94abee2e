import { ConfigError, type ConfigReader, type LiveSettings, liveSettings } from '@cafeteria/platform'
import type { SignInSettings } from './sign-in.ts'
import {
  defaultTemplates,
  notificationKinds,
  parseTemplates,
  type Templates,
  templateProblem,
  templateVariable,
} from './templates.ts'

export type NotifierSettings =
  | { readonly kind: 'log' }
  | {
      readonly kind: 'webhook'
      readonly url: string
      /** Sent as `Authorization: Bearer …` when set. */
      readonly token: string | undefined
      readonly timeoutMs: number
    }

export interface DeliverySettings {
  readonly maxAttempts: number
  readonly retryBaseMs: number
  readonly retryMaxMs: number
  /** Safety net for notifications a kick missed or another replica left behind. */
  readonly pollMs: number
}

export interface CustomercenterSettings {
  readonly notifier: NotifierSettings
  readonly delivery: DeliverySettings
  readonly templates: Templates
  readonly live: LiveSettings
  readonly signIn: SignInSettings
}

/**
 * Templates: the defaults, overridden by a JSON object by kind (`NOTIFY_TEMPLATES`, or the file
 * named by `NOTIFY_TEMPLATES_FILE`), overridden in turn by one variable per kind
 * (`NOTIFY_TEMPLATE_MADE`, or `NOTIFY_TEMPLATE_MADE_FILE` for a multi-line text).
 */
function readTemplates(read: ConfigReader, problems: string[]): Templates {
  const templates: Record<string, string> = { ...defaultTemplates }
  const json = read.optional('NOTIFY_TEMPLATES')
  if (json !== undefined) {
    const parsed = parseTemplates('NOTIFY_TEMPLATES', json)
    problems.push(...parsed.problems)
    Object.assign(templates, parsed.templates)
  }
  for (const kind of notificationKinds) {
    const name = templateVariable(kind)
    const template = read.optional(name)
    if (template === undefined) continue
    const problem = templateProblem(name, template)
    if (problem) problems.push(problem)
    else templates[kind] = template
  }
  return templates as unknown as Templates
}

function readNotifier(read: ConfigReader, problems: string[]): NotifierSettings {
  const kind = read.oneOf('NOTIFIER', ['log', 'webhook'] as const, 'log')
  const url = read.optional('NOTIFY_WEBHOOK_URL')
  const token = read.optional('NOTIFY_WEBHOOK_TOKEN')
  const timeoutMs = read.int('NOTIFY_WEBHOOK_TIMEOUT_MS', 5000, { min: 1, max: 120_000 })
  if (kind === 'log') return { kind }
  if (url === undefined) {
    problems.push('NOTIFY_WEBHOOK_URL: required when NOTIFIER=webhook')
  } else if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    problems.push(`NOTIFY_WEBHOOK_URL: "${url}" is not an http(s) URL`)
  }
  return { kind, url: url ?? '', token, timeoutMs }
}

/** Reports the reader's problems and the ones found here together, as one ConfigError. */
function failOn(read: ConfigReader, problems: readonly string[]): void {
  let all = [...problems]
  try {
    read.done()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    all = [...error.problems, ...all]
  }
  if (all.length > 0) throw new ConfigError(all)
}

export function customercenterSettings(read: ConfigReader): CustomercenterSettings {
  const problems: string[] = []
  const settings: CustomercenterSettings = {
    notifier: readNotifier(read, problems),
    delivery: {
      maxAttempts: read.int('NOTIFY_MAX_ATTEMPTS', 10, { min: 1, max: 1000 }),
      retryBaseMs: read.int('NOTIFY_RETRY_BASE_MS', 1000, { min: 1 }),
      retryMaxMs: read.int('NOTIFY_RETRY_MAX_MS', 300_000, { min: 1 }),
      pollMs: read.int('NOTIFY_POLL_MS', 1000, { min: 10 }),
    },
    templates: readTemplates(read, problems),
    live: liveSettings(read),
    signIn: {
      codeTtlMs: read.int('SIGN_IN_CODE_TTL_SECONDS', 300, { min: 1, max: 3600 }) * 1000,
      maxTries: read.int('SIGN_IN_CODE_MAX_TRIES', 5, { min: 1, max: 20 }),
      codesPerWindow: read.int('SIGN_IN_CODES_PER_PHONE', 3, { min: 1, max: 1000 }),
      windowMs: read.int('SIGN_IN_CODES_WINDOW_SECONDS', 600, { min: 1 }) * 1000,
      sessionTtlMs: read.int('SESSION_DAYS', 30, { min: 1, max: 365 }) * 86_400_000,
    },
  }
  failOn(read, problems)
  return settings
}
