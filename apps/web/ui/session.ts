import { useEffect, useState } from 'preact/hooks'
import { type Problem, request, type SessionView } from './api.ts'
import { sessionHint } from './sign-in.ts'

/** Who the customer's screens are for. */
export type Identity =
  /** Not known yet: the menu (which says the mode) or the server's word on the session is on its way. */
  | { readonly kind: 'unknown' }
  /** Open mode: no sign-in; phone numbers are typed in. */
  | { readonly kind: 'open' }
  /** `ended`: a session was on and is no longer (expired, or signed out elsewhere). */
  | { readonly kind: 'signedOut'; readonly ended: boolean }
  | ({ readonly kind: 'signedIn' } & SessionView)

const HINT = 'cafe.session'

/**
 * The customer's session in the browser. The cookie does the work (HttpOnly: no script reads it);
 * this keeps what the screens show, and a hint in localStorage that a sign-in happened, shared by
 * the device's tabs: a sign-in or sign-out in one is seen by the others.
 */
export function useSession(signIn: boolean | undefined) {
  const [identity, setIdentity] = useState<Identity>({ kind: 'unknown' })

  useEffect(() => {
    if (signIn === undefined) return
    if (!signIn) {
      setIdentity({ kind: 'open' })
      return
    }
    const hint = sessionHint(localStorage.getItem(HINT), Date.now())
    if (!hint) {
      setIdentity({ kind: 'signedOut', ended: false })
      return
    }
    let gone = false
    void request<SessionView>('GET', '/auth/session').then((answer) => {
      if (gone) return
      if (answer.ok) signedIn(answer.body)
      else if (answer.problem.status === 401) ended()
      // Unanswered (offline, sign-in service down): the hint stands; a refusal later signs out.
      else setIdentity({ kind: 'signedIn', ...hint })
    })
    return () => {
      gone = true
    }
  }, [signIn])

  // Another tab signed in or out: the cookie is the device's, so this tab follows.
  useEffect(() => {
    if (!signIn) return
    const onStorage = (event: StorageEvent) => {
      if (event.key !== HINT) return
      const changed = sessionHint(event.newValue, Date.now())
      setIdentity(changed ? { kind: 'signedIn', ...changed } : { kind: 'signedOut', ended: false })
    }
    addEventListener('storage', onStorage)
    return () => removeEventListener('storage', onStorage)
  }, [signIn])

  function signedIn(session: SessionView) {
    localStorage.setItem(HINT, JSON.stringify(session))
    setIdentity({ kind: 'signedIn', ...session })
  }

  /** The server no longer takes the session (a 401): the screens ask for a sign-in again. */
  function ended() {
    localStorage.removeItem(HINT)
    setIdentity({ kind: 'signedOut', ended: true })
  }

  /** Ends the session on the server, then here; a failure leaves the customer signed in. */
  async function signOut(): Promise<Problem | undefined> {
    const answer = await request('POST', '/auth/logout')
    if (!answer.ok && answer.problem.status !== 401) return answer.problem
    localStorage.removeItem(HINT)
    setIdentity({ kind: 'signedOut', ended: false })
    return undefined
  }

  return { identity, signedIn, ended, signOut }
}
