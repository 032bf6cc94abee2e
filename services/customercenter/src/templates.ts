/**
 * The wording of notifications: the original's messages by default, editable per deployment.
 * Placeholders such as `{productName}` are filled from the customer's My Page.
 */

export const notificationKinds = ['Ordered', 'Receipted', 'Made', 'PaymentCanceled', 'CancelFailed'] as const
export type NotificationKind = (typeof notificationKinds)[number]
export type Templates = Readonly<Record<NotificationKind, string>>

export const defaultTemplates: Templates = {
  Ordered: 'Your Order is Ordered',
  Receipted: 'Your Order is Receipted',
  Made: 'Your Order is Made\nCome and Take it, Please!',
  PaymentCanceled: 'Your Payment is Canceled',
  CancelFailed: 'Your Order is already started. You cannot cancel!!',
}

export const placeholders = ['orderId', 'phoneNumber', 'productName', 'qty', 'amt', 'status'] as const
type Placeholder = (typeof placeholders)[number]
export type TemplateValues = Readonly<Record<Placeholder, string | number | null>>

const PLACEHOLDER = /\{(\w+)\}/g
const MAX_LENGTH = 1000

/** Fills the placeholders; a value not known yet (null) renders empty. */
export const render = (template: string, values: TemplateValues): string =>
  template.replace(PLACEHOLDER, (whole, name: string) =>
    Object.hasOwn(values, name) ? String(values[name as Placeholder] ?? '') : whole,
  )

/** What is wrong with one template, or undefined; `where` names its source in the message. */
export function templateProblem(where: string, template: unknown): string | undefined {
  if (typeof template !== 'string' || template.trim() === '') return `${where}: must be a non-empty string`
  if (template.length > MAX_LENGTH) return `${where}: longer than ${MAX_LENGTH} characters`
  const unknown = [...template.matchAll(PLACEHOLDER)]
    .map((m) => m[1] as string)
    .filter((name) => !(placeholders as readonly string[]).includes(name))
  if (unknown.length > 0) {
    return `${where}: unknown placeholder ${unknown.map((n) => `{${n}}`).join(', ')} (known: ${placeholders.map((p) => `{${p}}`).join(', ')})`
  }
  return undefined
}

/**
 * Reads a JSON object of templates by kind (`{"Made": "…"}`), as given inline or in a file;
 * kinds it leaves out keep their default.
 */
export function parseTemplates(
  where: string,
  json: string,
): { templates: Partial<Templates>; problems: string[] } {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (error) {
    return { templates: {}, problems: [`${where}: not JSON (${(error as Error).message})`] }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { templates: {}, problems: [`${where}: must be a JSON object of templates by kind`] }
  }
  const templates: Partial<Record<NotificationKind, string>> = {}
  const problems: string[] = []
  for (const [kind, template] of Object.entries(value)) {
    if (!(notificationKinds as readonly string[]).includes(kind)) {
      problems.push(`${where}: unknown kind "${kind}" (known: ${notificationKinds.join(', ')})`)
      continue
    }
    const problem = templateProblem(`${where} ${kind}`, template)
    if (problem) problems.push(problem)
    else templates[kind as NotificationKind] = template as string
  }
  return { templates, problems }
}

/** `PaymentCanceled` → `NOTIFY_TEMPLATE_PAYMENT_CANCELED`. */
export const templateVariable = (kind: NotificationKind): string =>
  `NOTIFY_TEMPLATE_${kind.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`
