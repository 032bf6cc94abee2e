import { type Static, Type } from 'typebox'

/** RFC 7807 problem details; the one error shape every service answers with. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', additionalProperties: true },
)
export type Problem = Static<typeof ProblemSchema>

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

/**
 * An expected failure a route reports to its caller. Throw it from a route; the app's error
 * handler turns it into problem+json. `type` is a short slug, expanded to a stable URI.
 */
export class HttpProblem extends Error {
  readonly status: number
  readonly type: string
  readonly detail: string
  readonly headers: Readonly<Record<string, string>>
  readonly extra: Readonly<Record<string, unknown>>
  constructor(
    status: number,
    type: string,
    detail: string,
    options: { headers?: Record<string, string>; extra?: Record<string, unknown> } = {},
  ) {
    super(detail)
    this.name = 'HttpProblem'
    this.status = status
    this.type = type
    this.detail = detail
    this.headers = options.headers ?? {}
    this.extra = options.extra ?? {}
  }
}

export const problemType = (slug: string) => `https://cafeteria.dev/problems/${slug}`

export function problem(status: number, slug: string, detail?: string, extra: object = {}): Problem {
  return {
    type: problemType(slug),
    title: titles[status] ?? (status >= 500 ? 'Server Error' : 'Client Error'),
    status,
    ...(detail === undefined ? {} : { detail }),
    ...extra,
  }
}

export interface InputError {
  readonly path: string
  readonly message: string
}

/**
 * A 400 for input that passed the schema but broke a rule only code can check, in the same
 * shape as a schema failure: `where` is body, querystring, params or headers.
 */
export function invalidInput(where: string, errors: readonly InputError[]): HttpProblem {
  const detail = `${where}: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`
  return new HttpProblem(400, 'invalid-request', detail, { extra: { errors } })
}

export const notFound = (what: string, id: string | number) =>
  new HttpProblem(404, 'not-found', `${what} ${id} does not exist`)
