/**
 * Signing in with a phone: a one-time code sent to it, then a session. Pure rules; the store keeps
 * one code per phone (a new one replaces the old) and the sessions.
 */

export interface SignInSettings {
  /** How long a code may be used. */
  readonly codeTtlMs: number
  /** Tries per code, right or wrong: the next is refused even with the right code. */
  readonly maxTries: number
  /** Codes one phone may be sent per window… */
  readonly codesPerWindow: number
  /** …of this length. */
  readonly windowMs: number
  readonly sessionTtlMs: number
}

/** What is kept of a phone's latest code: never the code itself, only its keyed hash. */
export interface CodeRecord {
  readonly phoneNumber: string
  readonly codeHash: string
  readonly expiresAt: Date
  readonly tries: number
  readonly windowStartedAt: Date
  readonly sentInWindow: number
}

export type CodeRequestDecision =
  | { readonly kind: 'send'; readonly record: CodeRecord }
  | { readonly kind: 'limited'; readonly retryAfterSeconds: number }

/** A new code for a phone, unless it was sent as many as the window allows. */
export function decideCodeRequest(
  previous: CodeRecord | undefined,
  request: { readonly phoneNumber: string; readonly codeHash: string; readonly now: Date },
  settings: SignInSettings,
): CodeRequestDecision {
  const { now } = request
  const windowOpen = previous && now.getTime() - previous.windowStartedAt.getTime() < settings.windowMs
  if (previous && windowOpen && previous.sentInWindow >= settings.codesPerWindow) {
    const endsAt = previous.windowStartedAt.getTime() + settings.windowMs
    return { kind: 'limited', retryAfterSeconds: Math.max(1, Math.ceil((endsAt - now.getTime()) / 1000)) }
  }
  return {
    kind: 'send',
    record: {
      phoneNumber: request.phoneNumber,
      codeHash: request.codeHash,
      expiresAt: new Date(now.getTime() + settings.codeTtlMs),
      tries: 0,
      windowStartedAt: windowOpen ? previous.windowStartedAt : now,
      sentInWindow: windowOpen ? previous.sentInWindow + 1 : 1,
    },
  }
}

/** Six digits, as SMS codes are: the tries per code and the rate limits make guessing hopeless. */
export const CODE_PATTERN = /^\d{6}$/

/** The text that carries a code to the phone. */
export const codeMessage = (code: string, ttlMs: number) =>
  `[카페테리아] 인증번호 ${code}\n${Math.round(ttlMs / 60_000)}분 안에 입력해 주세요. 누구에게도 알려 주지 마세요.`
