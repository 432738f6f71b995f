import { Type, type Static, type TSchema } from '@sinclair/typebox'
import type { FastifyError, FastifyRequest } from 'fastify'
import type { TraceContext } from '../observability/tracing/trace-context.js'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** A response given as a schema, or per content type as OpenAPI and Fastify both accept. */
export type ResponseDefinition = TSchema | { description?: string, content: Record<string, { schema: TSchema }> }

export interface RouteDefinition {
  method: HttpMethod
  url: string
  schema: {
    summary?: string
    description?: string
    params?: TSchema
    querystring?: TSchema
    body?: TSchema
    response: Record<number, ResponseDefinition>
  }
  /** Where a created resource lives, for the Location header of a 201. */
  location?: (body: any) => string
  /** Largest body in bytes, when the route takes less than BODY_LIMIT_BYTES. */
  bodyLimit?: number
}

export type ErrorConstructor = new (...args: any[]) => FastifyError

export interface EventDeclarations {
  /** Events this module publishes, each with its payload schema. */
  publishes?: Record<string, TSchema>
  /** Events (published by any module) this module handles. */
  subscribes?: readonly string[]
}

export interface Contract<Routes extends Record<string, RouteDefinition> = Record<string, RouteDefinition>, Events extends EventDeclarations = EventDeclarations> {
  module: string
  /** What the module is for, in a sentence: its tag's description in the OpenAPI document. */
  description?: string
  routes: Routes
  errors: Record<string, ErrorConstructor>
  /** Declared here, not at run time, so a publisher knows its subscribers in every topology. */
  events?: Events
  /**
   * The modules this one calls through `app.clients`, `[]` for none: what a process mounting it
   * must reach (it refuses to start otherwise), what `npm run map` draws and `npm run check:deploy`
   * checks. Required, so that every module says.
   */
  calls: readonly string[]
  /**
   * Implemented outside Cleave, in any language: its folder holds only this contract, no process
   * here mounts it, and callers reach it through discovery like any remote module.
   */
  external?: true
}

const contractBrand = Symbol.for('cleave.contract')

const noQuery = Type.Object({})

/** A copy of the schema with `change` applied to each object schema in it (the original is shared). */
function changeObjects<S extends TSchema> (schema: S, change: (object: Record<string | symbol, unknown>) => void): S {
  const copy: Record<string | symbol, unknown> = {}
  for (const key of Reflect.ownKeys(schema)) {
    const value = (schema as Record<string | symbol, unknown>)[key]
    copy[key] = Array.isArray(value)
      ? value.map((item) => isSchema(item) ? changeObjects(item, change) : item)
      : isSchema(value) ? changeObjects(value, change) : value
  }
  if (copy.type === 'object') change(copy)
  return copy as S
}

/** Every object in an input schema refuses fields it does not declare, unless it says otherwise. */
export function closeObjects<S extends TSchema> (schema: S): S {
  return changeObjects(schema, (object) => { if (!('additionalProperties' in object)) object.additionalProperties = false })
}

/** Members an event's object may have beyond those declared: a newer publisher may add some. */
export const maxEventMembers = 64

// Events stay open to members their consumers do not know yet (a publisher is upgraded first), but
// never to any number of them.
function boundObjects<S extends TSchema> (schema: S): S {
  return changeObjects(schema, (object) => {
    if (object.additionalProperties !== false && object.maxProperties === undefined) object.maxProperties = Object.keys(object.properties ?? {}).length + maxEventMembers
  })
}

function isSchema (value: unknown): value is TSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// One rule for the whole API: a field nobody declared is a 400 naming it, never written anywhere.
// It is applied here, once, so that routes, local calls and the OpenAPI document all see it.
export function defineContract<const Routes extends Record<string, RouteDefinition>, const Events extends EventDeclarations = EventDeclarations> (contract: Contract<Routes, Events>): Contract<Routes, Events> {
  for (const route of Object.values(contract.routes)) {
    const schema: RouteDefinition['schema'] = route.schema
    // A route that takes no query still refuses one, rather than ignoring ?id=… quietly.
    schema.querystring ??= noQuery
    for (const part of ['params', 'querystring', 'body'] as const) {
      if (schema[part] !== undefined) schema[part] = closeObjects(schema[part])
    }
  }
  const publishes = contract.events?.publishes
  for (const [event, payload] of Object.entries(publishes ?? {})) publishes![event] = boundObjects(payload)
  return Object.defineProperty(contract, contractBrand, { value: true })
}

export function isContract (value: unknown): value is Contract {
  return typeof value === 'object' && value !== null && contractBrand in value
}

type SuccessStatus = 200 | 201 | 202 | 204
type BodyOf<R> = R extends { content: infer C }
  ? C[keyof C] extends { schema: infer S extends TSchema } ? Static<S> : unknown
  : R extends TSchema ? Static<R> : never

type Part<S, Key extends string, As extends string> = S extends { [K in Key]: infer P extends TSchema } ? { [K in As]: Static<P> } : {}

export type OperationInput<R extends RouteDefinition> =
  Part<R['schema'], 'params', 'params'> & Part<R['schema'], 'querystring', 'query'> & Part<R['schema'], 'body', 'body'>

/** What a caller passes: query parameters may be left out, the contract's defaults fill them. */
export type CallInputOf<R extends RouteDefinition> =
  Part<R['schema'], 'params', 'params'> & Part<R['schema'], 'body', 'body'> &
  (R['schema'] extends { querystring: infer Q extends TSchema } ? { query?: Partial<Static<Q>> } : {})

export type OperationOutput<R extends RouteDefinition> =
  Extract<keyof R['schema']['response'], SuccessStatus> extends infer Status extends keyof R['schema']['response']
    ? (Status extends 204 ? void : BodyOf<R['schema']['response'][Status]>)
    : never

/** What an operation may know of the call that reached it, whichever transport carried it. */
export type OperationContext = Pick<FastifyRequest, 'id' | 'log' | 'headers'> & {
  /** Its span, passed on by client calls and published events; none with TRACING=false. */
  trace?: TraceContext
}

export type Operation<R extends RouteDefinition> = (input: OperationInput<R>, context: OperationContext) => Promise<OperationOutput<R>>

export type Operations<C extends Contract> = { [Name in keyof C['routes']]: Operation<C['routes'][Name]> }

export function successStatus (route: RouteDefinition): number {
  const status = Object.keys(route.schema.response).map(Number).filter((code) => code >= 200 && code < 300).sort()[0]
  if (status === undefined) throw new Error(`${route.method} ${route.url} declares no 2xx response`)
  return status
}

/** The success response's status, media type and body schema (none for 204). */
export function successResponse (route: RouteDefinition): { status: number, mediaType: string, schema?: TSchema } {
  const status = successStatus(route)
  const response = route.schema.response[status]
  if (status === 204) return { status, mediaType: 'application/json' }
  if ('content' in response) {
    const [mediaType, { schema }] = Object.entries(response.content as Record<string, { schema: TSchema }>)[0]
    return { status, mediaType, schema }
  }
  return { status, mediaType: 'application/json', schema: response as TSchema }
}
