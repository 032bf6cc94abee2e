import { Type } from 'typebox'
import { ByPhoneNumberQuery, searchedPhone } from './access.ts'
import type { HttpApp } from './app.ts'
import type { LiveFeed } from './live.ts'
import { notFound, ProblemSchema } from './problem.ts'

/**
 * `GET <path>`: the feed's view of the signed-in customer as Server-Sent Events (in open mode, of
 * `?phoneNumber=`, validated and normalised like everywhere else). Another customer's phone is
 * answered as an unknown stream. The feed ends its streams when the app closes, so clients
 * reconnect to another replica.
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
      config: { access: 'customer' },
      schema: {
        summary: doc.summary,
        querystring: ByPhoneNumberQuery,
        response: {
          200: { description: doc.event, content: { 'text/event-stream': { schema: Type.String() } } },
          400: ProblemSchema,
          401: ProblemSchema,
          404: ProblemSchema,
        },
      },
    },
    (request, reply) => {
      const asked = (request.query as { phoneNumber?: string }).phoneNumber
      const phoneNumber = searchedPhone(request, asked)
      if (phoneNumber === null) throw notFound('stream', path)
      feed.serve(request, reply, phoneNumber)
    },
  )
}
