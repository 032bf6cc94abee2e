/** Signing in with a phone, as the screen walks it: the number, then the code texted to it. Pure. */
import type { Problem, SessionView } from './api.ts'
import type { Key } from './i18n.ts'
import { isPhoneNumber, normalizePhone } from './order.ts'

/**
 * Seconds before another code may be asked for. The server allows a few codes a phone per window
 * and then answers 429; a pause after each keeps an impatient tap from spending them all.
 */
export const RESEND_PAUSE_SECONDS = 30
/** When a 429 comes without a usable Retry-After. */
const LIMITED_FALLBACK_SECONDS = 60

export interface SignInState {
  readonly step: 'phone' | 'code'
  /** The number the code goes (or went) to, as the services write it. */
  readonly phoneNumber: string
  /** A request is on its way: the buttons wait. */
  readonly busy: boolean
  /** Shown beside the field of the step: the phone's, or the code's. */
  readonly problem: { readonly key: Key; readonly detail?: string } | undefined
  /** Before this (ms since the epoch) no new code is asked for `phoneNumber`. */
  readonly resendAt: number
  /** How long the code sent lasts, for the hint. */
  readonly codeMinutes: number
}

export type SignInEvent =
  | { readonly type: 'askCode'; readonly phone: string; readonly now: number }
  | { readonly type: 'codeSent'; readonly expiresInSeconds: number; readonly now: number }
  | { readonly type: 'codeRefused'; readonly problem: Problem; readonly now: number }
  | { readonly type: 'submitCode'; readonly code: string }
  | { readonly type: 'signInRefused'; readonly problem: Problem }
  | { readonly type: 'changePhone' }

export const initialSignIn: SignInState = {
  step: 'phone',
  phoneNumber: '',
  busy: false,
  problem: undefined,
  resendAt: 0,
  codeMinutes: 0,
}

/** Six digits, as the server sends them; spaces a phone's autofill may add are dropped. */
export const normalizeCode = (raw: string): string => raw.replace(/\s+/g, '')
const isCode = (raw: string) => /^\d{6}$/.test(normalizeCode(raw))

/**
 * The next state. The caller sends the request when the state has just become `busy`
 * (`askCode` → `POST /auth/code`, `submitCode` → `POST /auth/token`), and reports the answer.
 */
export function signInStep(state: SignInState, event: SignInEvent): SignInState {
  switch (event.type) {
    case 'askCode': {
      if (state.busy) return state
      if (!isPhoneNumber(event.phone)) return { ...state, problem: { key: 'problem_phone' } }
      const phoneNumber = normalizePhone(event.phone)
      if (phoneNumber === state.phoneNumber && event.now < state.resendAt) return state
      return { ...state, phoneNumber, busy: true, problem: undefined }
    }
    case 'codeSent':
      return {
        ...state,
        step: 'code',
        busy: false,
        problem: undefined,
        resendAt: event.now + RESEND_PAUSE_SECONDS * 1000,
        codeMinutes: Math.max(1, Math.ceil(event.expiresInSeconds / 60)),
      }
    case 'codeRefused': {
      const { problem } = event
      if (problem.status === 429) {
        const seconds = problem.retryAfterSeconds ?? LIMITED_FALLBACK_SECONDS
        return {
          ...state,
          busy: false,
          problem: { key: 'tooManyCodes' },
          resendAt: event.now + seconds * 1000,
        }
      }
      if (problem.status === 400) return { ...state, busy: false, problem: { key: 'problem_phone' } }
      return { ...state, busy: false, problem: failure(problem) }
    }
    case 'submitCode':
      if (state.busy || state.step !== 'code') return state
      if (!isCode(event.code)) return { ...state, problem: { key: 'problem_code' } }
      return { ...state, busy: true, problem: undefined }
    case 'signInRefused': {
      const { problem } = event
      // 401: wrong, used up (too many tries) or expired; the server does not say which, nor do we.
      if (problem.status === 401 || problem.status === 400) {
        return { ...state, busy: false, problem: { key: 'codeWrong' } }
      }
      return { ...state, busy: false, problem: failure(problem) }
    }
    case 'changePhone':
      return { ...state, step: 'phone', busy: false, problem: undefined }
    default: {
      const _exhaustive: never = event
      return _exhaustive
    }
  }
}

const failure = (problem: Problem): SignInState['problem'] =>
  problem.status === 0 ? { key: 'offline' } : { key: 'failed', detail: problem.detail }

/** Whole seconds until a new code may be asked for this number (0: now). */
export function secondsToWait(state: SignInState, phone: string, now: number): number {
  if (!isPhoneNumber(phone) || normalizePhone(phone) !== state.phoneNumber) return 0
  return Math.max(0, Math.ceil((state.resendAt - now) / 1000))
}

/** 75 → "1:15": a countdown that reads the same in both languages. */
export const countdown = (seconds: number): string =>
  `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`

/** 01012345678 → 010-1234-5678, as people write their number. */
export const formatPhone = (phoneNumber: string): string =>
  phoneNumber.replace(/^(\d{3})(\d{3,4})(\d{4})$/, '$1-$2-$3')

/**
 * What this device remembers of its session (the cookie itself is out of the script's reach): a
 * number and an expiry, never the token. Without one the sign-in screen shows at once, with no
 * request that would only answer 401; with one the server is asked whether the session is still on.
 */
export function sessionHint(raw: string | null, now: number): SessionView | undefined {
  if (raw === null) return undefined
  try {
    const { phoneNumber, expiresAt } = JSON.parse(raw)
    if (typeof phoneNumber !== 'string' || typeof expiresAt !== 'string') return undefined
    return Date.parse(expiresAt) > now ? { phoneNumber, expiresAt } : undefined
  } catch {
    return undefined
  }
}
