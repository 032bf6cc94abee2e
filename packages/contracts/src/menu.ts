/**
 * What the cafe sells, at what price. The order service prices every order from it (prices are
 * the server's: a client's amount must match); the gateway serves the same menu to the web UI at
 * `GET /menu`. Both read it from the same settings (`MENU` or `MENU_FILE`, `MAX_QTY`), so what a
 * customer is shown is what they are charged.
 */
export interface MenuItem {
  /** Stable id a client orders by (`productId`): given in `MENU`, or the name as a slug. */
  readonly id: string
  /** The Korean name: the order's `productName`, in every message about it. */
  readonly name: string
  /** The name on the English screen. */
  readonly en?: string
  /** Won per drink. */
  readonly price: number
  /** False while it cannot be ordered (sold out): shown, not sold. */
  readonly available: boolean
}

export interface Menu {
  readonly items: readonly MenuItem[]
  /** Drinks in one order at most (`MAX_QTY`). */
  readonly maxQty: number
}

/** The original's cap on `qty`, kept by its open API (`OPEN_API`), and the most `MAX_QTY` may be. */
export const OPEN_MAX_QTY = 1000

export const defaultMenu: readonly MenuItem[] = [
  { id: 'americano', name: '아메리카노', en: 'Americano', price: 4500, available: true },
  { id: 'caffe-latte', name: '카페라테', en: 'Caffè latte', price: 5000, available: true },
  { id: 'cappuccino', name: '카푸치노', en: 'Cappuccino', price: 5000, available: true },
  { id: 'vanilla-latte', name: '바닐라라테', en: 'Vanilla latte', price: 5500, available: true },
  { id: 'caramel-macchiato', name: '카라멜 마키아토', en: 'Caramel macchiato', price: 5800, available: true },
  { id: 'cold-brew', name: '콜드브루', en: 'Cold brew', price: 5000, available: true },
  { id: 'green-tea-latte', name: '녹차라테', en: 'Green tea latte', price: 5500, available: true },
  { id: 'hot-chocolate', name: '초콜릿라테', en: 'Hot chocolate', price: 5300, available: true },
]

const MAX_PRICE = 100_000_000
const text = (value: unknown) =>
  typeof value === 'string' && value.trim() !== '' && value.trim().length <= 100
/** Lowercase words of letters (any script) and digits, joined by hyphens: safe in a URL, stable. */
const ID = /^[\p{Ll}\p{Lo}\p{N}]+(?:-[\p{Ll}\p{Lo}\p{N}]+)*$/u
const isId = (value: string) => value.length <= 64 && ID.test(value)

/**
 * "Caffè Latte" → "caffe-latte", "카라멜 마키아토" → "카라멜-마키아토". Accents go (decomposed, marks
 * dropped); Hangul is recomposed after, so it stays as written.
 */
export const slugOf = (name: string): string =>
  name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')

/**
 * Reads `MENU`: a JSON array of `{"name", "price", "en"?, "id"?, "available"?}`. Returns the items,
 * or why they are not a menu. Ids and names are both unique: an order names its drink by either.
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
    const { id, name, en, price, available = true } = (entry ?? {}) as Record<string, unknown>
    const at = `item ${i + 1}`
    if (!text(name)) return { problem: `${at}: "name" must be 1 to 100 characters` }
    if (en !== undefined && !text(en)) return { problem: `${at}: "en" must be 1 to 100 characters` }
    if (!Number.isInteger(price) || (price as number) < 0 || (price as number) > MAX_PRICE) {
      return { problem: `${at}: "price" must be a whole number of won from 0 to ${MAX_PRICE}` }
    }
    if (typeof available !== 'boolean') return { problem: `${at}: "available" must be true or false` }
    const trimmed = (name as string).trim()
    const itemId = id === undefined ? slugOf(trimmed) : id
    if (typeof itemId !== 'string' || !isId(itemId)) {
      return {
        problem:
          id === undefined
            ? `${at}: its name makes no id: give it an "id" such as "americano"`
            : `${at}: "id" must be up to 64 lowercase letters and digits, words joined by hyphens, such as "caffe-latte"`,
      }
    }
    const item = { id: itemId, name: trimmed, price: price as number, available }
    if (items.some((other) => other.name === item.name)) return { problem: `"${item.name}" is listed twice` }
    if (items.some((other) => other.id === item.id)) return { problem: `id "${item.id}" is listed twice` }
    items.push(en === undefined ? item : { ...item, en: (en as string).trim() })
  }
  return { items }
}

/** The part of the platform's config reader the menu needs (contracts depends on no service code). */
export interface MenuSettingsReader {
  optional(name: string): string | undefined
  int(name: string, fallback: number, range?: { min?: number; max?: number }): number
  refuse(problem: string): void
}

/**
 * The menu from `MENU` (or `MENU_FILE`), the default without, and `MAX_QTY`. A bad menu is one more
 * problem the reader reports at start-up, together with every other bad setting.
 */
export function readMenu(read: MenuSettingsReader): Menu {
  const maxQty = read.int('MAX_QTY', 20, { min: 1, max: OPEN_MAX_QTY })
  const raw = read.optional('MENU')
  if (raw === undefined) return { items: defaultMenu, maxQty }
  const parsed = parseMenu(raw)
  if ('items' in parsed) return { items: parsed.items, maxQty }
  read.refuse(`MENU: ${parsed.problem}`)
  return { items: [], maxQty }
}
