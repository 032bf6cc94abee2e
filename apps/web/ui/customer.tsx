import { useEffect, useState } from 'preact/hooks'
import { type Problem, request } from './api.ts'
import { useLang } from './lang.ts'
import { MyPage } from './my-page.tsx'
import type { Menu, Who } from './order.ts'
import { OrderForm } from './order-form.tsx'
import { useSession } from './session.ts'
import { Shell } from './shell.tsx'
import { SignInForm } from './sign-in-form.tsx'

const PHONE = 'cafe.phone'
const route = () => (location.hash === '#/mypage' ? 'mypage' : 'order')
const focusContent = () => document.getElementById('content')?.focus()

/**
 * The customer's phone screen: ordering, and My Page (`#/mypage`), after signing in. The sign-in
 * screen stands in for either page and leaves the address alone, so signing in lands where the
 * customer was going. In open mode there is no sign-in: phone numbers are typed in.
 */
export function Customer() {
  const { t } = useLang()
  const [page, setPage] = useState(route())
  const [menu, setMenu] = useState<Menu | undefined>()
  const [unreachable, setUnreachable] = useState(false)
  const [phone, setPhone] = useState(localStorage.getItem(PHONE) ?? '')
  const [signOutProblem, setSignOutProblem] = useState<Problem | undefined>()
  const session = useSession(menu?.signIn)
  const { identity } = session
  useEffect(() => {
    const onHash = () => {
      setPage(route())
      focusContent()
    }
    addEventListener('hashchange', onHash)
    loadMenu()
    return () => removeEventListener('hashchange', onHash)
  }, [])
  function loadMenu() {
    setUnreachable(false)
    void request<Menu>('GET', '/menu').then((answer) => {
      if (answer.ok) setMenu(answer.body)
      else setUnreachable(true)
    })
  }
  const remember = (value: string) => {
    localStorage.setItem(PHONE, value)
    setPhone(value)
  }
  async function signOut() {
    setSignOutProblem(await session.signOut())
    focusContent()
  }
  const sessionEnded = () => {
    setSignOutProblem(undefined)
    session.ended()
    focusContent()
  }

  const who: Who | undefined =
    identity.kind === 'signedIn'
      ? { kind: 'session', phoneNumber: identity.phoneNumber }
      : identity.kind === 'open'
        ? { kind: 'typed', phone, remember }
        : undefined
  const whoKey = identity.kind === 'signedIn' ? identity.phoneNumber : 'typed'
  const actions =
    identity.kind === 'signedIn' ? (
      <button type="button" class="quiet" onClick={() => void signOut()}>
        {t('signOut')}
      </button>
    ) : undefined

  return (
    <Shell title={t('appName')} actions={actions}>
      {signOutProblem && (
        <p class="problem" role="alert">
          {signOutProblem.status === 0 ? t('offline') : t('failed', { detail: signOutProblem.detail })}
        </p>
      )}
      {!menu && unreachable && (
        <div class="problem" role="alert">
          <p>{t('offline')}</p>
          <button type="button" onClick={loadMenu}>
            {t('retry')}
          </button>
        </div>
      )}
      {identity.kind === 'signedOut' && (
        <SignInForm
          ended={identity.ended}
          signedIn={(signedIn) => {
            session.signedIn(signedIn)
            focusContent()
          }}
        />
      )}
      {menu && who && (
        <>
          <nav class="tabs" aria-label={t('appName')}>
            <a href="#/" aria-current={page === 'order' ? 'page' : undefined}>
              {t('tabOrder')}
            </a>
            <a href="#/mypage" aria-current={page === 'mypage' ? 'page' : undefined}>
              {t('tabMyPage')}
            </a>
          </nav>
          {/* Keyed by the customer: nothing of one customer's is kept on screen for another. */}
          {page === 'order' ? (
            <OrderForm
              key={whoKey}
              menu={menu}
              who={who}
              menuChanged={loadMenu}
              sessionEnded={sessionEnded}
            />
          ) : (
            <MyPage key={whoKey} who={who} sessionEnded={sessionEnded} />
          )}
        </>
      )}
    </Shell>
  )
}
