import type { ComponentChildren } from 'preact'
import { formatNumber } from './i18n.ts'
import { setLang, type T, useLang } from './lang.ts'

/** The frame of every screen: a skip link, the title, the language switch, then the content. */
export function Shell(props: { title: string; actions?: ComponentChildren; children: ComponentChildren }) {
  const { lang, t } = useLang()
  return (
    <>
      <a class="skip" href="#content">
        {t('skipToContent')}
      </a>
      <header class="bar">
        <h1>
          <span aria-hidden="true">☕ </span>
          {props.title}
        </h1>
        <div class="bar-actions">
          {props.actions}
          <button
            type="button"
            class="quiet"
            lang={lang === 'ko' ? 'en' : 'ko'}
            onClick={() => setLang(lang === 'ko' ? 'en' : 'ko')}
          >
            {t('otherLang')}
          </button>
        </div>
      </header>
      <main id="content" tabIndex={-1}>
        {props.children}
      </main>
    </>
  )
}

export const won = (t: T, amount: number) => t('won', { amount: formatNumber(amount) })

/** Whether a live stream is connected, for sighted and screen-reader users alike. */
export function LiveBadge(props: { state: string }) {
  const { t } = useLang()
  const live = props.state === 'live'
  return (
    <p class={`live ${live ? 'on' : 'off'}`} role="status">
      <span class="dot" aria-hidden="true" />
      {live ? t('live') : t('reconnecting')}
    </p>
  )
}

export const timeOf = (iso: string, lang: string) =>
  new Date(iso).toLocaleTimeString(lang === 'ko' ? 'ko-KR' : 'en-GB', { hour: '2-digit', minute: '2-digit' })
