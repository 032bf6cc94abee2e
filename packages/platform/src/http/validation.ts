import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

const shared: Options = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false }

/**
 * Query strings and path parameters arrive as text, so they are coerced to the schema's types.
 * Bodies are not: coercion would turn `true` or `null` into a quantity. Routes that accept the
 * original clients' numeric strings ("3") say so in their schema instead.
 */
const coercing = addFormats.default(new Ajv({ ...shared, coerceTypes: 'array' }))
const strict = addFormats.default(new Ajv({ ...shared, coerceTypes: false }))

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strict : coercing).compile(schema as object) as ReturnType<
    FastifySchemaCompiler<unknown>
  >
