import { ConfigError, type ConfigReader } from '@cafeteria/platform'

/** What the cafe sells: names (Korean, with an optional English one) and prices in won. */
export interface MenuItem {
  readonly name: string
  readonly en?: string
  readonly price: number
}

export const defaultMenu: readonly MenuItem[] = [
  { name: '아메리카노', en: 'Americano', price: 4500 },
  { name: '카페라테', en: 'Caffè latte', price: 5000 },
  { name: '카푸치노', en: 'Cappuccino', price: 5000 },
  { name: '바닐라라테', en: 'Vanilla latte', price: 5500 },
  { name: '카라멜 마키아토', en: 'Caramel macchiato', price: 5800 },
  { name: '콜드브루', en: 'Cold brew', price: 5000 },
  { name: '녹차라테', en: 'Green tea latte', price: 5500 },
  { name: '초콜릿라테', en: 'Hot chocolate', price: 5300 },
]

const MAX_PRICE = 100_000_000
const text = (value: unknown) =>
  typeof value === 'string' && value.trim() !== '' && value.trim().length <= 100

/**
 * Reads `MENU` (or the file `MENU_FILE` names): a JSON array of `{"name", "price", "en"?}`.
 * Returns the items, or why they are not a menu; names are the order's `productName`.
 */
export function parseMenu(raw: string): { items: MenuItem[] } | { problem: string } {
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch (error) {
    return { problem: `not JSON (${(error as Error).message})` }
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > 100) {
    return { problem: 'must be a JSON array of 1 to 100 items like {"name":"아메리카노","price":4500}' }
  }
  const items: MenuItem[] = []
  for (const [i, entry] of parsed.entries()) {
    const { name, en, price } = (entry ?? {}) as Record<string, unknown>
    if (!text(name)) return { problem: `item ${i + 1}: "name" must be 1 to 100 characters` }
    if (en !== undefined && !text(en)) return { problem: `item ${i + 1}: "en" must be 1 to 100 characters` }
    if (!Number.isInteger(price) || (price as number) < 0 || (price as number) > MAX_PRICE) {
      return { problem: `item ${i + 1}: "price" must be a whole number of won from 0 to ${MAX_PRICE}` }
    }
    const item = { name: (name as string).trim(), price: price as number }
    if (items.some((other) => other.name === item.name)) return { problem: `"${item.name}" is listed twice` }
    items.push(en === undefined ? item : { ...item, en: (en as string).trim() })
  }
  return { items }
}

/** The menu from `MENU` (or `MENU_FILE`), the default without; a bad one stops the start with the rest. */
export function readMenu(read: ConfigReader): readonly MenuItem[] {
  const raw = read.optional('MENU')
  if (raw === undefined) return defaultMenu
  const parsed = parseMenu(raw)
  if ('items' in parsed) return parsed.items
  const problems = [`MENU: ${parsed.problem}`]
  try {
    read.done()
  } catch (error) {
    if (error instanceof ConfigError) problems.unshift(...error.problems)
  }
  throw new ConfigError(problems)
}
