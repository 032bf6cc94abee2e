import { useEffect, useState } from 'preact/hooks'
import { type Key, type Lang, translate } from './i18n.ts'

const STORED = 'cafe.lang'
const listeners = new Set<(lang: Lang) => void>()
let current: Lang = localStorage.getItem(STORED) === 'en' ? 'en' : 'ko'
document.documentElement.lang = current

export function setLang(lang: Lang): void {
  current = lang
  localStorage.setItem(STORED, lang)
  document.documentElement.lang = lang
  for (const listener of listeners) listener(lang)
}

export type T = (key: Key, vars?: Record<string, string | number>) => string

/** The current language and its translator; the component renders again when it changes. */
export function useLang(): { lang: Lang; t: T } {
  const [lang, set] = useState(current)
  useEffect(() => {
    listeners.add(set)
    return () => listeners.delete(set)
  }, [])
  return { lang, t: (key, vars) => translate(lang, key, vars) }
}
