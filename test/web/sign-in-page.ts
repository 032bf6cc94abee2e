import type { Page } from 'playwright-core'
import type { PhoneInbox } from '../support/customer.ts'

/**
 * Signs a page in as a customer does, on the sign-in screen it shows (in Korean): the number, then
 * the code that arrives at the phone. Resolves once the screen offers to sign out.
 */
export async function signInPage(page: Page, inbox: PhoneInbox, phoneNumber: string): Promise<void> {
  const since = inbox.messages.length
  await page.getByLabel('휴대폰 번호').fill(phoneNumber)
  await page.getByRole('button', { name: '인증번호 받기' }).click()
  const code = await inbox.codeFor(phoneNumber.replaceAll('-', ''), since)
  await page.getByLabel('인증번호', { exact: true }).fill(code)
  await page.getByRole('button', { name: '로그인', exact: true }).click()
  await page.getByRole('button', { name: '로그아웃' }).waitFor()
}
