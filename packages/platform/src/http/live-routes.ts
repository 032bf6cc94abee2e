import { normalizePhoneNumber, PHONE_NUMBER_RULE, PhoneNumberInput } from '@cafeteria/contracts'
import { Type } from 'typebox'
import type { HttpApp } from './app.ts'
import type { LiveFeed } from './live.ts'
import { invalidInput, ProblemSchema } from './problem.ts'

/**
 * One value per running service, made on first use. A service's event handlers (which call
 * `changed`) and its routes (which `serve`) must share one feed, and a test that starts the
 * service twice must get two.
 */
export function perService<Ctx extends object, T>(make: (ctx: Ctx) => T): (ctx: Ctx) => T {
  const made = new WeakMap<Ctx, T>()
  return (ctx) => {
    let value = made.get(ctx)
    if (value === undefined) {
      value = make(ctx)
      made.set(ctx, value)
    }
    return value
  }
}

/**
 * `GET <path>?phoneNumber=…`: the feed's view of that phone as Server-Sent Events. The phone is
 * validated and normalised like everywhere else (hyphens dropped); the feed ends its streams when
 * the app closes, so clients reconnect to another replica.
 */
export function phoneStreamRoute(
  app: HttpApp,
  path: string,
  feed: LiveFeed,
  doc: { readonly summary: string; readonly event: string },
): void {
  app.addHook('preClose', async () => feed.close())
  app.get(
    path,
    {
      schema: {
        summary: doc.summary,
        querystring: Type.Object({ phoneNumber: PhoneNumberInput }),
        response: {
          200: { description: doc.event, content: { 'text/event-stream': { schema: Type.String() } } },
          400: ProblemSchema,
        },
      },
    },
    (request, reply) => {
      const phoneNumber = normalizePhoneNumber((request.query as { phoneNumber: string }).phoneNumber)
      if (!phoneNumber) {
        throw invalidInput('querystring', [{ path: '/phoneNumber', message: PHONE_NUMBER_RULE }])
      }
      feed.serve(request, reply, phoneNumber)
    },
  )
}
