import { AjvCompiler } from '@fastify/ajv-compiler'
import type { FastifyServerOptions } from 'fastify'
import type { TSchema } from '@sinclair/typebox'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'

type BuildValidator = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']

// Nothing is removed: contracts close their input objects (defineContract), so an unknown field is refused by name.
export const ajvOptions = { allErrors: true, removeAdditional: false, useDefaults: true } as const

// Paths and query strings arrive as text, so they are coerced; a JSON body carries real
// types, and `{"name": 42}` must be refused, not quietly stored as "42".
export const buildValidator: BuildValidator = (() => {
  const pool = AjvCompiler()
  return (externalSchemas, options) => {
    const plugins = options?.plugins
    const coercing = pool(externalSchemas, { plugins, customOptions: { ...ajvOptions, coerceTypes: 'array' } })
    const exact = pool(externalSchemas, { plugins, customOptions: { ...ajvOptions, coerceTypes: false } })
    return (route) => route.httpPart === 'body' ? exact(route) : coercing(route)
  }
})()

// The same two rules for what the platform checks outside a route: a call's input before it is
// sent, an answer's body, an event's payload.
const coercingAjv = addFormats.default(new Ajv({ ...ajvOptions, coerceTypes: 'array' }))
const exactAjv = addFormats.default(new Ajv({ ...ajvOptions, coerceTypes: false }))

/** A check for text parts (params, query strings): values coerced from strings. */
export function compileCoercing (schema: TSchema): ValidateFunction {
  return coercingAjv.compile(schema)
}

/** A check for JSON (bodies, answers, event payloads): types exact. */
export function compileExact (schema: TSchema): ValidateFunction {
  return exactAjv.compile(schema)
}
