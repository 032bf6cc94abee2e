import { randomUUID } from 'node:crypto'
import type { Logger } from '@cafeteria/platform'
import type { NotifierSettings } from './settings.ts'
import type { NotificationKind } from './templates.ts'

export interface OutgoingNotification {
  /** Absent for a sign-in code: it is sent once, never stored or retried. */
  readonly notificationId?: number
  readonly orderId?: number
  readonly phoneNumber: string
  readonly kind: NotificationKind | 'sign-in-code'
  readonly message: string
}

/** Where notifications go. `send` resolves once delivered and rejects when it should be tried again. */
export interface Notifier {
  readonly kind: NotifierSettings['kind']
  send(notification: OutgoingNotification): Promise<void>
}

/**
 * The original's KakaoTalk stub: the message goes to the log. The log shows the number masked
 * (`To. 010****5679`), as every line does (the platform logger masks phone numbers).
 */
export const logNotifier = (log: Logger): Notifier => ({
  kind: 'log',
  async send(n) {
    log.info(
      { notificationId: n.notificationId, orderId: n.orderId, kind: n.kind },
      `To. ${n.phoneNumber}\n${n.message}`,
    )
  },
})

/**
 * POSTs each notification as JSON to a relay (a KakaoTalk Alimtalk sender, a chat bot…). Delivery
 * is at least once, so the notification id is also sent as `Idempotency-Key` for the relay to
 * drop a repeat. Anything but a 2xx within the timeout counts as not delivered.
 */
export function webhookNotifier(options: {
  url: string
  token: string | undefined
  timeoutMs: number
}): Notifier {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  return {
    kind: 'webhook',
    async send(n) {
      let response: Response
      try {
        response = await fetch(options.url, {
          method: 'POST',
          headers: { ...headers, 'idempotency-key': String(n.notificationId ?? randomUUID()) },
          body: JSON.stringify(n),
          signal: AbortSignal.timeout(options.timeoutMs),
        })
      } catch (error) {
        throw new Error(`webhook unreachable: ${reasonOf(error)}`, { cause: error })
      }
      const text = await response.text().catch(() => '')
      if (!response.ok) {
        throw new Error(`webhook answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`)
      }
    },
  }
}

/** fetch hides the socket error (ECONNREFUSED…) in `cause`. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause as { code?: string; message?: string } | undefined
  if (error.name === 'TimeoutError') return 'timed out'
  return cause?.code ?? cause?.message ?? error.message
}

export function createNotifier(settings: NotifierSettings, log: Logger): Notifier {
  switch (settings.kind) {
    case 'log':
      return logNotifier(log)
    case 'webhook':
      return webhookNotifier(settings)
    default: {
      const exhaustive: never = settings
      throw new Error(`unknown notifier ${JSON.stringify(exhaustive)}`)
    }
  }
}
