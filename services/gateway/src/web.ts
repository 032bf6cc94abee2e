import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { type Menu, OPEN_MAX_QTY } from '@cafeteria/contracts'
import { type Logger, problem } from '@cafeteria/platform'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

/** The pages of the web UI: one bundle, which shows the screen its path names. */
export const pages = ['/', '/barista'] as const

/**
 * Serves the built web UI and the menu it shows: `{items, maxQty, signIn}`, the items the order
 * service prices from, the most drinks it takes in one order, and whether customers sign in (false
 * in open mode: the UI then asks for phone numbers, as the original did). The assets' names carry their content's hash,
 * so they are cached for a year; the page itself is revalidated every time, so a new build shows
 * at the next load. Each file goes out brotli- or gzip-compressed as the browser accepts, from
 * copies compressed at build time: nothing is compressed per request.
 */
export async function registerWebUi(
  app: FastifyInstance<any, any, any, any, any>,
  options: { root: string; menu: Menu; open: boolean; log: Logger },
): Promise<void> {
  const { root, log } = options
  // The open API keeps the original's cap on qty, as the order service does there.
  const maxQty = options.open ? OPEN_MAX_QTY : options.menu.maxQty
  const menu = JSON.stringify({ items: options.menu.items, maxQty, signIn: !options.open })
  app.get('/menu', { schema: { hide: true } }, (_request, reply) => {
    reply.header('cache-control', 'no-cache').type('application/json; charset=utf-8').send(menu)
  })

  if (!existsSync(join(root, 'index.html'))) {
    log.warn({ root }, 'the web UI is not built: run `npm run build:web`; / and /barista answer 503')
    for (const page of pages) {
      app.get(page, { schema: { hide: true } }, (_request, reply) => {
        reply
          .code(503)
          .type('application/problem+json')
          .send(problem(503, 'web-ui-not-built', 'The web UI is not built: run `npm run build:web`.'))
      })
    }
    return
  }
  await app.register(fastifyStatic, {
    root: join(root, 'assets'),
    prefix: '/assets/',
    preCompressed: true,
    immutable: true,
    maxAge: '365d',
    index: false,
    schemaHide: true,
  })
  for (const page of pages) {
    app.get(page, { schema: { hide: true } }, (_request, reply) => {
      reply
        .header('cache-control', 'no-cache')
        .sendFile('index.html', root, { cacheControl: false, immutable: false, maxAge: 0 })
    })
  }
}
