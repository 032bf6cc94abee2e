import { normalizePhoneNumber, PHONE_NUMBER_RULE, PhoneNumberInput } from '@cafeteria/contracts'
import {
  createLiveFeed,
  type HttpApp,
  type HttpRequest,
  invalidInput,
  type LiveFeed,
  ProblemSchema,
  type ServiceContext,
} from '@cafeteria/platform'
import { Type } from 'typebox'
import type { DrinkDeps } from './index.ts'
import type { DrinkSettings } from './settings.ts'
import type { DrinkTables } from './store.ts'
import { readBoard, readQueue } from './views.ts'

type Context = ServiceContext<DrinkTables, DrinkSettings>

export interface DrinkFeeds {
  /** Customers: the queue, and where their tickets are. Keyed by phone number ('' for none). */
  readonly queue: LiveFeed
  /** The barista's board. */
  readonly board: LiveFeed
  /** A ticket was created or changed: every view may have. Call after commit. */
  changed(): void
}

/** The service's feeds, one set per running service (routes and handlers share it). */
export function drinkFeeds(ctx: Context): DrinkFeeds {
  const settings = ctx.config.live
  const queue = createLiveFeed({
    event: 'queue',
    read: (phone) => readQueue(ctx, phone),
    settings,
    log: ctx.log,
  })
  const board = createLiveFeed({ event: 'board', read: () => readBoard(ctx), settings, log: ctx.log })
  return {
    queue,
    board,
    changed() {
      queue.changed()
      board.changed()
    },
  }
}

const EventStream = (description: string) => ({
  description,
  content: { 'text/event-stream': { schema: Type.String() } },
})

const QueueEstimateView = {
  waiting: Type.Integer({ description: 'tickets waiting for the barista' }),
  inProgress: Type.Integer({ description: 'tickets being made' }),
  makeSeconds: Type.Integer({ description: 'typical time from Receipted to Made, recently' }),
  estimatedWaitSeconds: Type.Integer({ description: 'the wait of a drink ordered now' }),
}
const QueueView = Type.Object({
  ...QueueEstimateView,
  orders: Type.Array(
    Type.Object({
      orderId: Type.Integer(),
      status: Type.Union([Type.Literal('PaymentApproved'), Type.Literal('Receipted')]),
      position: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: '1: next in line' }),
      estimatedWaitSeconds: Type.Integer(),
    }),
    { description: "the customer's tickets still in the queue (with phoneNumber)" },
  ),
})
const PhoneQuery = Type.Object({ phoneNumber: Type.Optional(PhoneNumberInput) })

/**
 * Whose tickets the queue places: in open mode the phone asked for; otherwise the signed-in
 * customer's own (a query naming another phone places none). Without either, the queue alone.
 */
function phoneNumberOf(open: boolean, request: HttpRequest, raw: string | undefined): string {
  const asked = raw === undefined ? undefined : normalizePhoneNumber(raw)
  if (raw !== undefined && !asked) {
    throw invalidInput('querystring', [{ path: '/phoneNumber', message: PHONE_NUMBER_RULE }])
  }
  const own = request.customer?.phoneNumber
  if (own === undefined) return open ? (asked ?? '') : ''
  return asked === undefined || asked === own ? own : ''
}

export function liveRoutes(app: HttpApp, ctx: Context, { feeds, staff }: DrinkDeps) {
  const { queue, board } = feeds
  app.addHook('preClose', async () => {
    queue.close()
    board.close()
  })

  app.get(
    '/drinks/queue',
    {
      config: { access: 'public' },
      schema: {
        summary: 'The queue and the estimated wait; with a phone number, where its tickets are',
        querystring: PhoneQuery,
        response: { 200: QueueView, 400: ProblemSchema },
      },
    },
    async (request) => readQueue(ctx, phoneNumberOf(ctx.access.open, request, request.query.phoneNumber)),
  )

  app.get(
    '/drinks/queue/stream',
    {
      config: { access: 'public' },
      schema: {
        summary: 'GET /drinks/queue as Server-Sent Events (`event: queue`), sent again on every change',
        querystring: PhoneQuery,
        response: { 200: EventStream('`event: queue`, the body of GET /drinks/queue'), 400: ProblemSchema },
      },
    },
    (request, reply) => {
      queue.serve(request, reply, phoneNumberOf(ctx.access.open, request, request.query.phoneNumber))
    },
  )

  app.get(
    '/drinks/board/access',
    {
      config: { access: 'public' },
      schema: {
        summary:
          'Barista: whether a staff token is needed, and whether the one sent is right (never 401; a wrong token counts as a failed check, 429 after too many)',
        response: {
          200: Type.Object({ tokenRequired: Type.Boolean(), granted: Type.Boolean() }),
          429: ProblemSchema,
        },
      },
    },
    async (request) => staff.access(request),
  )

  app.get(
    '/drinks/board/stream',
    {
      config: { access: 'staff' },
      schema: {
        summary:
          'Barista: the board as Server-Sent Events (`event: board`), phone numbers masked; needs the staff token (but in open mode without one)',
        response: {
          200: EventStream('`event: board`: {queue, tickets (oldest first), recent (finished or cancelled)}'),
          401: ProblemSchema,
          429: ProblemSchema,
        },
      },
    },
    (request, reply) => {
      board.serve(request, reply, '')
    },
  )
}
