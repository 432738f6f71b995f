import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { FastifyServerOptions } from 'fastify'
import { serializerOnFirstUse } from './compile-on-first-use.js'

type BuildSerializer = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildSerializer']

/** Fastify's own answer serializers (fast-json-stringify), each compiled on its first answer. */
export const buildSerializer: BuildSerializer = (() => {
  const pool = SerializerSelector()
  return (externalSchemas, options) => {
    const compile = pool(externalSchemas, options)
    return (route) => serializerOnFirstUse(() => compile(route))
  }
})()
