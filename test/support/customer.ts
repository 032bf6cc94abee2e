import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { call, waitFor } from './system.ts'

/** What the cafe sent to phones, received as a real webhook relay would (`NOTIFIER=webhook`). */
export interface PhoneInbox {
  readonly url: string
  /** Every message so far, oldest first. */
  readonly messages: ReadonlyArray<{ phoneNumber: string; kind: string; message: string }>
  /** The settings that point a system's notifier here. */
  readonly env: Record<string, string>
  /** The newest sign-in code sent to `phoneNumber` after `since` messages. */
  codeFor(phoneNumber: string, since?: number): Promise<string>
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

export async function startPhoneInbox(): Promise<PhoneInbox> {
  const messages: Array<{ phoneNumber: string; kind: string; message: string }> = []
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString()
    })
    request.on('end', () => {
      messages.push(JSON.parse(body))
      response.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return {
    url,
    messages,
    env: { NOTIFIER: 'webhook', NOTIFY_WEBHOOK_URL: url },
    codeFor: (phoneNumber, since = 0) =>
      waitFor(
        async () =>
          messages
            .slice(since)
            .findLast((m) => m.phoneNumber === phoneNumber && m.kind === 'sign-in-code')
            ?.message.match(/\d{6}/)?.[0],
        10_000,
        `a sign-in code for ${phoneNumber}`,
      ),
    close,
    [Symbol.asyncDispose]: close,
  }
}

/** Signs a phone in the way a customer does: a code to the phone, then the code for a session. */
export async function signIn(baseUrl: string, inbox: PhoneInbox, phoneNumber: string) {
  const since = inbox.messages.length
  const asked = await call(`${baseUrl}/auth/code`, { method: 'POST', json: { phoneNumber } })
  if (asked.status !== 202)
    throw new Error(`POST /auth/code answered ${asked.status}: ${JSON.stringify(asked.body)}`)
  const code = await inbox.codeFor(phoneNumber, since)
  const answer = await call(`${baseUrl}/auth/token`, { method: 'POST', json: { phoneNumber, code } })
  if (answer.status !== 200)
    throw new Error(`POST /auth/token answered ${answer.status}: ${JSON.stringify(answer.body)}`)
  const token = answer.body.token as string
  return {
    token,
    headers: { authorization: `Bearer ${token}` },
    cookie: answer.headers.get('set-cookie') ?? '',
  }
}
