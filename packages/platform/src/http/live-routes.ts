import { Type } from 'typebox'
import type { Logger } from '../logger.ts'
import { ByPhoneNumberQuery, searchedPhone } from './access.ts'
import type { HttpApp } from './app.ts'
import { createLiveFeed, type LiveFeed, type LiveSettings } from './live.ts'
import { notFound, ProblemSchema } from './problem.ts'

export interface PhoneLiveViewOptions<Context, T> {
  /** Where the stream is served (`GET`). */
  readonly path: string
  /** The name of the Server-Sent Event that carries the view. */
  readonly event: string
  /** The stream's summary in the API document. */
  readonly summary: string
  /** Reads the current view of a phone number. */
  readonly read: (ctx: Context, phoneNumber: string) => Promise<T>
}

/** What a live view is read with: the service's live settings and its log. */
export interface LiveContext {
  readonly config: { readonly live: LiveSettings }
  readonly log: Logger
}

export interface PhoneLiveView<Context> {
  /** The view's feed, one per running service: its route serves it, its handlers tell it of changes. */
  feed(ctx: Context): LiveFeed
  /** `GET <path>`: the feed's view of the signed-in customer as Server-Sent Events. */
  route(app: HttpApp, feed: LiveFeed): void
}

/**
 * A view of each phone number (My Page, a phone's points) as Server-Sent Events, sent again on
 * every change. Its route answers the signed-in customer's view (in open mode, `?phoneNumber=`'s,
 * validated and normalised like everywhere else); another customer's phone is answered as an
 * unknown stream. The feed ends its streams when the app closes, so clients reconnect to another
 * replica.
 */
export function phoneLiveView<Context extends LiveContext, T>(
  options: PhoneLiveViewOptions<Context, T>,
): PhoneLiveView<Context> {
  const { path, event, summary, read } = options
  return {
    feed: (ctx) =>
      createLiveFeed({
        event,
        read: (phoneNumber) => read(ctx, phoneNumber),
        settings: ctx.config.live,
        log: ctx.log,
      }),
    route(app, feed) {
      app.addHook('preClose', async () => feed.close())
      app.get(
        path,
        {
          config: { access: 'customer' },
          schema: {
            summary,
            querystring: ByPhoneNumberQuery,
            response: {
              200: {
                description: `\`event: ${event}\``,
                content: { 'text/event-stream': { schema: Type.String() } },
              },
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
    },
  }
}
