import { AjvCompiler } from '@fastify/ajv-compiler'
import type { FastifyServerOptions } from 'fastify'
import type { TSchema } from '@sinclair/typebox'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import { validatorOnFirstUse } from './compile-on-first-use.js'
import { refusingUnstorable } from './storable-values.js'

type BuildValidator = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']

// Nothing is removed: contracts close their input objects (defineContract), so an unknown field is refused by name.
const ajvOptions = { allErrors: true, removeAdditional: false, useDefaults: true } as const
// Paths and query strings arrive as text, so they are coerced; a JSON body carries real
// types, and `{"name": 42}` must be refused, not quietly stored as "42".
const coercingOptions = { ...ajvOptions, coerceTypes: 'array' } as const
const exactOptions = { ...ajvOptions, coerceTypes: false } as const

// Fastify's compilers, with the rule above per part, each followed by the one rule of values a
// database stores as sent (storable-values.ts). Ajv instances too are made on first use:
// each costs milliseconds (formats, meta-schema).
export const buildValidator: BuildValidator = (() => {
  const pool = AjvCompiler()
  return (externalSchemas, options) => {
    const plugins = options?.plugins
    let coercing: ReturnType<typeof pool> | undefined
    let exact: ReturnType<typeof pool> | undefined
    return (route) => validatorOnFirstUse(() => refusingUnstorable((route.httpPart === 'body'
      ? (exact ??= pool(externalSchemas, { plugins, customOptions: exactOptions }))
      : (coercing ??= pool(externalSchemas, { plugins, customOptions: coercingOptions })))(route) as ValidateFunction))
  }
})()

// The same two rules for what the platform checks outside a route: a call's input before it is
// sent, an answer's body, an event's payload.
let coercingAjv: Ajv | undefined
let exactAjv: Ajv | undefined

/** A check for text parts (params, query strings): values coerced from strings; compiled on its first call. */
export function compileCoercing (schema: TSchema): ValidateFunction {
  return validatorOnFirstUse(() => refusingUnstorable((coercingAjv ??= addFormats.default(new Ajv(coercingOptions))).compile(schema)))
}

/** A check for JSON taken in (bodies, event payloads): types exact; compiled on its first call. */
export function compileExact (schema: TSchema): ValidateFunction {
  return validatorOnFirstUse(() => refusingUnstorable((exactAjv ??= addFormats.default(new Ajv(exactOptions))).compile(schema)))
}

/**
 * A check for another service's answer: its schema only. What it holds was taken in there, and a
 * row an older version stored must read the same over HTTP as in process.
 */
export function compileAnswer (schema: TSchema): ValidateFunction {
  return validatorOnFirstUse(() => (exactAjv ??= addFormats.default(new Ajv(exactOptions))).compile(schema))
}
