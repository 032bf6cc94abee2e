import { useEffect, useState } from 'preact/hooks'
import { request } from './api.ts'
import { useLang } from './lang.ts'
import { MyPage } from './my-page.tsx'
import { MAX_QTY, type Menu } from './order.ts'
import { OrderForm } from './order-form.tsx'
import { Shell } from './shell.tsx'

const PHONE = 'cafe.phone'
const route = () => (location.hash === '#/mypage' ? 'mypage' : 'order')

/** The customer's phone screen: ordering, and My Page (`#/mypage`). */
export function Customer() {
  const { t } = useLang()
  const [page, setPage] = useState(route())
  const [menu, setMenu] = useState<Menu>({ items: [], maxQty: MAX_QTY })
  const [phone, setPhone] = useState(localStorage.getItem(PHONE) ?? '')
  useEffect(() => {
    const onHash = () => {
      setPage(route())
      document.getElementById('content')?.focus()
    }
    addEventListener('hashchange', onHash)
    loadMenu()
    return () => removeEventListener('hashchange', onHash)
  }, [])
  function loadMenu() {
    void request<Menu>('GET', '/menu').then((answer) => {
      if (answer.ok) setMenu(answer.body)
    })
  }
  const remember = (value: string) => {
    localStorage.setItem(PHONE, value)
    setPhone(value)
  }
  return (
    <Shell title={t('appName')}>
      <nav class="tabs" aria-label={t('appName')}>
        <a href="#/" aria-current={page === 'order' ? 'page' : undefined}>
          {t('tabOrder')}
        </a>
        <a href="#/mypage" aria-current={page === 'mypage' ? 'page' : undefined}>
          {t('tabMyPage')}
        </a>
      </nav>
      {page === 'order' ? (
        <OrderForm menu={menu} phone={phone} placed={remember} menuChanged={loadMenu} />
      ) : (
        <MyPage phone={phone} changePhone={remember} />
      )}
    </Shell>
  )
}
