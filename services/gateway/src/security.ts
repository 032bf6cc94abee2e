import type { ConfigReader } from '@cafeteria/platform'
import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'

export interface SecuritySettings {
  /** Where browsers reach the gateway (`PUBLIC_URL`); over https, they are told to stay on it. */
  readonly publicUrl: string | undefined
}

export function securitySettings(read: ConfigReader): SecuritySettings {
  const given = read.optional('PUBLIC_URL')
  return { publicUrl: given === undefined ? undefined : read.url('PUBLIC_URL', given) }
}

/**
 * Security headers on every answer of the gateway, the web UI's and the API's alike. The policy
 * fits what the UI (apps/web) and the API docs (/docs) load: their own scripts and stylesheets
 * from this origin (no inline code), data: images (the UI's icon, Swagger UI's logo), fetch and
 * event streams to this origin only. No page may frame them, against clickjacking. Phone numbers
 * travel in URLs (`?phoneNumber=`), so no URL is sent on as a referrer. Telling browsers to use
 * https only (HSTS, upgraded requests) is for a gateway actually served over https: over plain
 * http (`npm start`) it would break every page.
 */
export async function registerSecurityHeaders(
  app: FastifyInstance<any, any, any, any, any>,
  settings: SecuritySettings,
): Promise<void> {
  const https = settings.publicUrl?.startsWith('https:') ?? false
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(https && { upgradeInsecureRequests: [] }),
      },
    },
    // For browsers older than frame-ancestors.
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  })
}

/**
 * The policy of the API docs' pages (`/docs`): the same, except that Swagger UI sets inline styles
 * as it renders, which the browser would refuse (and report). Styles cannot run code; scripts stay
 * as strict as everywhere else.
 */
export const allowInlineStyles = (policy: string): string =>
  policy.replace(
    /(^|;)\s*style-src ([^;]*)/,
    (_whole, start: string, sources: string) => `${start}style-src ${sources} 'unsafe-inline'`,
  )
