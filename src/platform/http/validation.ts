import { AjvCompiler } from '@fastify/ajv-compiler'
import type { FastifyServerOptions } from 'fastify'

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
