import { useEffect, useRef, useState } from 'preact/hooks'
import { request, type SessionView } from './api.ts'
import { useLang } from './lang.ts'
import {
  countdown,
  formatPhone,
  initialSignIn,
  normalizeCode,
  type SignInEvent,
  secondsToWait,
  signInStep,
} from './sign-in.ts'

/** The sign-in screen: the phone number, then the code texted to it. */
export function SignInForm(props: { ended: boolean; signedIn: (session: SessionView) => void }) {
  const { t } = useLang()
  const [state, setState] = useState(initialSignIn)
  const [phone, setPhone] = useState('')
  const [code, setCode] = useState('')
  useTicking(state.resendAt)
  const step = (event: SignInEvent) => setState((s) => signInStep(s, event))
  const onCodeStep = state.step === 'code'
  const field = onCodeStep ? 'signin-code' : 'signin-phone'
  const wait = secondsToWait(state, onCodeStep ? state.phoneNumber : phone, Date.now())

  // The field takes the focus when a step begins, a code was sent again or a problem is shown
  // beside it; not on arrival, where a screen reader starts at the top.
  const arrived = useRef(false)
  useEffect(() => {
    if (arrived.current && !state.busy) document.getElementById(field)?.focus()
    arrived.current = true
  }, [state.step, state.problem, state.resendAt])

  async function askCode(typed: string) {
    const next = signInStep(state, { type: 'askCode', phone: typed, now: Date.now() })
    setState(next)
    if (!next.busy) return
    const answer = await request<{ expiresInSeconds: number }>('POST', '/auth/code', {
      body: { phoneNumber: next.phoneNumber },
    })
    if (answer.ok) {
      setCode('')
      step({ type: 'codeSent', expiresInSeconds: answer.body.expiresInSeconds, now: Date.now() })
    } else step({ type: 'codeRefused', problem: answer.problem, now: Date.now() })
  }

  async function submitCode() {
    const next = signInStep(state, { type: 'submitCode', code })
    setState(next)
    if (!next.busy) return
    const answer = await request<SessionView>('POST', '/auth/token', {
      body: { phoneNumber: next.phoneNumber, code: normalizeCode(code) },
    })
    if (answer.ok) props.signedIn({ phoneNumber: next.phoneNumber, expiresAt: answer.body.expiresAt })
    else step({ type: 'signInRefused', problem: answer.problem })
  }

  const problem = state.problem && t(state.problem.key, { detail: state.problem.detail ?? '' })
  const later = wait > 0 ? ` (${countdown(wait)})` : ''
  return (
    <form
      class="card sign-in"
      noValidate
      onSubmit={(e) => {
        e.preventDefault()
        void (onCodeStep ? submitCode() : askCode(phone))
      }}
    >
      <h2>{t('signInTitle')}</h2>
      {props.ended && !onCodeStep && (
        <p class="problem" role="alert">
          {t('sessionEnded')}
        </p>
      )}
      <p>
        {onCodeStep
          ? t('codeSent', { phone: formatPhone(state.phoneNumber), minutes: state.codeMinutes })
          : t('signInIntro')}
      </p>
      <div class="field">
        <label for={field}>{onCodeStep ? t('code') : t('phone')}</label>
        {onCodeStep ? (
          <input
            key="code"
            id="signin-code"
            type="text"
            inputMode="numeric"
            autoComplete="one-time-code"
            placeholder={t('codeHint')}
            value={code}
            aria-invalid={Boolean(problem)}
            aria-describedby="signin-problem"
            onInput={(e) => setCode((e.target as HTMLInputElement).value)}
          />
        ) : (
          <input
            key="phone"
            id="signin-phone"
            type="tel"
            inputMode="tel"
            autoComplete="tel"
            placeholder={t('phoneHint')}
            value={phone}
            aria-invalid={Boolean(problem)}
            aria-describedby="signin-problem"
            onInput={(e) => setPhone((e.target as HTMLInputElement).value)}
          />
        )}
        <p class="field-problem" id="signin-problem" aria-live="polite">
          {problem ?? ''}
        </p>
      </div>
      <button type="submit" class="primary" disabled={state.busy || (!onCodeStep && wait > 0)}>
        {onCodeStep
          ? state.busy
            ? t('signingIn')
            : t('signIn')
          : state.busy
            ? t('sendingCode')
            : `${t('sendCode')}${later}`}
      </button>
      {onCodeStep && (
        <div class="inline sign-in-more">
          <button
            type="button"
            disabled={state.busy || wait > 0}
            onClick={() => void askCode(state.phoneNumber)}
          >
            {`${t('resend')}${later}`}
          </button>
          <button type="button" disabled={state.busy} onClick={() => step({ type: 'changePhone' })}>
            {t('changePhone')}
          </button>
        </div>
      )}
    </form>
  )
}

/** Renders again every second until `until` (ms since the epoch), so a countdown counts down. */
function useTicking(until: number) {
  const [, tick] = useState(0)
  useEffect(() => {
    const left = until - Date.now()
    if (left <= 0) return
    const timer = setInterval(() => tick((n) => n + 1), 1000)
    const end = setTimeout(() => {
      clearInterval(timer)
      tick((n) => n + 1)
    }, left)
    return () => {
      clearInterval(timer)
      clearTimeout(end)
    }
  }, [until])
}
