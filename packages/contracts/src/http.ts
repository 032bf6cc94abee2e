import { Type } from 'typebox'

/**
 * Schemas and rules for what clients send, shared by every service that accepts them.
 */

/**
 * Korean mobile numbers: 010/011/016/017/018/019 then 7–8 digits, with or without hyphens.
 * Returns the digits only, or undefined when the input is not such a number.
 */
export function normalizePhoneNumber(raw: string): string | undefined {
  const trimmed = raw.trim()
  if (!/^01[016789](-?\d{3,4})-?\d{4}$/.test(trimmed)) return undefined
  return trimmed.replaceAll('-', '')
}

/**
 * A phone number as staff see it and logs may write it: the last 4 digits, the rest masked
 * (`*******5679`), the length kept. The barista calls out a ticket by its last digits; the whole
 * number is the customer's, and a counter screen is seen by anyone passing by.
 */
export function maskPhoneNumber(phoneNumber: string): string {
  return phoneNumber.slice(-4).padStart(phoneNumber.length, '*')
}

export const PHONE_NUMBER_RULE = 'must be a Korean mobile number such as 010-1234-5678'

/** A resource id in a path or query: a positive whole number. */
export const EntityId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })

export const PhoneNumberInput = Type.String({
  minLength: 1,
  maxLength: 20,
  description: 'Korean mobile number, 10–11 digits; hyphens are accepted and removed',
  examples: ['01012345678', '010-1234-5678'],
})

/**
 * A whole number, also accepted as a string of digits: the original's README sends numbers the
 * way httpie does (`qty=3` → "3"). Anything else ("three", 1.5, -2, true) is rejected.
 */
export const WholeNumberInput = (options: { minimum: number; maximum: number; description?: string }) =>
  Type.Union([Type.Integer(options), Type.String({ pattern: '^[0-9]{1,15}$' })], {
    description: options.description ?? `whole number from ${options.minimum} to ${options.maximum}`,
  })

/** The value of a WholeNumberInput, or undefined when a digit string is out of range. */
export function wholeNumber(
  value: number | string,
  range: { minimum: number; maximum: number },
): number | undefined {
  const n = typeof value === 'number' ? value : Number(value)
  return Number.isSafeInteger(n) && n >= range.minimum && n <= range.maximum ? n : undefined
}
