// Classifies the differences between a published contract and the current one, from a client's side.
// Inputs (parameters, bodies) may only accept more; outputs (responses) may only promise less of the
// unknown: a field removed, a type widened or a new enum value in a response breaks a client that
// relied on the old shape, as a narrowed or newly required input breaks a client that sends the old one.
import { isDeepStrictEqual } from 'node:util'
import type { OpenApiDocument } from '../../src/platform/primitives/openapi-document.js'

export interface Change {
  breaking: boolean
  /** e.g. "GET /users/{id} response 200: field email removed" */
  message: string
}

type Schema = Record<string, unknown>
type Direction = 'input' | 'output'

interface Walk {
  before: OpenApiDocument
  after: OpenApiDocument
  direction: Direction
  /** "GET /users/{id} response 200" */
  where: string
  changes: Change[]
}

const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']
// Words for people, not constraints: a change to them makes a snapshot stale but breaks nobody.
const prose = new Set(['description', 'summary', 'title', 'example', 'examples', 'default', 'tags', 'operationId'])
const lowerBounds = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties']
const upperBounds = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties']
const exactRules = ['pattern', 'format', 'multipleOf']
const handled = new Set([...prose, ...lowerBounds, ...upperBounds, ...exactRules, 'type', 'nullable', 'enum', 'const', 'anyOf', 'oneOf', 'properties', 'required', 'additionalProperties', 'items', '$ref'])

function add (walk: Walk, breaking: boolean, field: string, message: string): void {
  walk.changes.push({ breaking, message: `${walk.where}: ${field ? `${field} ` : ''}${message}` })
}

/** after accepts fewer values than before (narrower) or more (wider): which one breaks depends on the direction. */
function narrowed (walk: Walk, field: string, message: string): void {
  add(walk, walk.direction === 'input', field, message)
}

function widened (walk: Walk, field: string, message: string): void {
  add(walk, walk.direction === 'output', field, message)
}

function resolve (document: OpenApiDocument, schema: unknown, seen = new Set<string>()): Schema {
  const value = (schema ?? {}) as Schema
  const ref = value.$ref
  if (typeof ref !== 'string' || !ref.startsWith('#/') || seen.has(ref)) return value
  seen.add(ref)
  const target = ref.slice(2).split('/').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document)
  return resolve(document, target, seen)
}

function typesOf (schema: Schema): Set<string> {
  const declared = schema.type === undefined ? enumBranchTypes(schema) : [schema.type].flat().map(String)
  const types = new Set(declared.length === 0 ? ['any'] : declared)
  if (schema.nullable === true) types.add('null')
  return types
}

function enumBranchTypes (schema: Schema): string[] {
  const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined
  if (!branches || enumOf(schema) === undefined) return []
  return [...new Set(branches.flatMap((branch) => branch.type === undefined ? [] : [branch.type].flat().map(String)))]
}

/** Whether every value of types `inner` is also of types `outer`. */
function covers (outer: Set<string>, inner: Set<string>): boolean {
  if (outer.has('any')) return true
  return [...inner].every((type) => outer.has(type) || (type === 'integer' && outer.has('number')))
}

/** Allowed values, when the schema lists them (enum, const, or a union of those: TypeBox literals). */
function enumOf (schema: Schema): unknown[] | undefined {
  if (Array.isArray(schema.enum)) return schema.enum
  if ('const' in schema) return [schema.const]
  const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined
  if (!Array.isArray(branches)) return undefined
  const values = branches.map(enumOf)
  return values.every((list) => list !== undefined) ? values.flat() : undefined
}

function show (types: Set<string>): string {
  return [...types].join(' | ')
}

function compareTypes (walk: Walk, field: string, before: Schema, after: Schema): void {
  const [was, now] = [typesOf(before), typesOf(after)]
  if (isDeepStrictEqual(was, now)) return
  const nullOnly = (a: Set<string>, b: Set<string>) => a.has('null') && !b.has('null') && covers(new Set([...b, 'null']), a) && covers(a, b)
  const label = nullOnly(was, now) ? 'nullable removed' : nullOnly(now, was) ? 'became nullable' : `type changed from ${show(was)} to ${show(now)}`
  const lost = !covers(now, was)
  const gained = !covers(was, now)
  if (lost) narrowed(walk, field, label)
  if (gained) widened(walk, field, label)
}

function compareEnums (walk: Walk, field: string, before: Schema, after: Schema): void {
  const [was, now] = [enumOf(before), enumOf(after)]
  if (was === undefined && now === undefined) return
  if (was === undefined) return narrowed(walk, field, `now limited to ${JSON.stringify(now)}`)
  if (now === undefined) return widened(walk, field, `no longer limited to ${JSON.stringify(was)}`)
  const removed = was.filter((value) => !now.some((other) => isDeepStrictEqual(value, other)))
  const added = now.filter((value) => !was.some((other) => isDeepStrictEqual(value, other)))
  if (removed.length > 0) narrowed(walk, field, `enum values removed: ${JSON.stringify(removed)}`)
  if (added.length > 0) widened(walk, field, `enum values added: ${JSON.stringify(added)}`)
}

function compareBounds (walk: Walk, field: string, before: Schema, after: Schema): void {
  for (const [keys, tighter] of [[lowerBounds, (a: number, b: number) => a > b], [upperBounds, (a: number, b: number) => a < b]] as const) {
    for (const key of keys) {
      const [was, now] = [before[key], after[key]]
      if (was === now || (typeof was !== 'number' && typeof now !== 'number')) continue
      const message = `${key} ${was ?? 'none'} → ${now ?? 'none'}`
      if (typeof now !== 'number') widened(walk, field, message)
      else if (typeof was !== 'number' || tighter(now, was)) narrowed(walk, field, message)
      else widened(walk, field, message)
    }
  }
  for (const key of exactRules) {
    const [was, now] = [before[key], after[key]]
    if (isDeepStrictEqual(was, now)) continue
    const message = `${key} ${JSON.stringify(was) ?? 'none'} → ${JSON.stringify(now) ?? 'none'}`
    if (was === undefined) narrowed(walk, field, message)
    else if (now === undefined) widened(walk, field, message)
    else add(walk, true, field, `${message} (neither accepts all the other does)`)
  }
}

function join (field: string, name: string): string {
  return field ? `${field}.${name}` : `field ${name}`
}

function compareObjects (walk: Walk, field: string, before: Schema, after: Schema): void {
  const [wasProps, nowProps] = [(before.properties ?? {}) as Record<string, unknown>, (after.properties ?? {}) as Record<string, unknown>]
  const [wasRequired, nowRequired] = [new Set((before.required ?? []) as string[]), new Set((after.required ?? []) as string[])]
  const closed = after.additionalProperties === false
  for (const name of Object.keys(wasProps)) {
    const at = join(field, name)
    if (!(name in nowProps)) {
      if (walk.direction === 'output') add(walk, true, at, 'removed')
      else add(walk, closed, at, closed ? 'removed, and unknown fields are refused: clients sending it get 400' : 'removed (now ignored)')
      continue
    }
    if (wasRequired.has(name) && !nowRequired.has(name)) widened(walk, at, 'became optional')
    if (!wasRequired.has(name) && nowRequired.has(name)) narrowed(walk, at, 'became required')
    compareSchemas(walk, at, wasProps[name], nowProps[name])
  }
  for (const name of Object.keys(nowProps).filter((name) => !(name in wasProps))) {
    const required = nowRequired.has(name)
    if (walk.direction === 'input') add(walk, required, join(field, name), required ? 'added as required' : 'added (optional)')
    else add(walk, false, join(field, name), 'added')
  }
  const [wasOpen, nowOpen] = [before.additionalProperties, after.additionalProperties]
  if (wasOpen !== false && nowOpen === false) narrowed(walk, field, 'no longer allows unlisted fields')
  if (wasOpen === false && nowOpen !== false) widened(walk, field, 'now allows unlisted fields')
  if (typeof wasOpen === 'object' && typeof nowOpen === 'object') compareSchemas(walk, `${field}.*`, wasOpen, nowOpen)
}

function compareSchemas (walk: Walk, field: string, beforeSchema: unknown, afterSchema: unknown): void {
  const before = resolve(walk.before, beforeSchema)
  const after = resolve(walk.after, afterSchema)
  if (isDeepStrictEqual(before, after)) return
  compareTypes(walk, field, before, after)
  compareEnums(walk, field, before, after)
  compareBounds(walk, field, before, after)
  compareObjects(walk, field, before, after)
  if (before.items !== undefined || after.items !== undefined) compareSchemas(walk, `${field || 'items'}[]`, before.items, after.items)
  const [wasBranches, nowBranches] = [before.anyOf ?? before.oneOf, after.anyOf ?? after.oneOf]
  if (enumOf(before) === undefined && enumOf(after) === undefined && !isDeepStrictEqual(wasBranches, nowBranches)) {
    const paired = Array.isArray(wasBranches) && Array.isArray(nowBranches) && wasBranches.length === nowBranches.length
    if (paired) wasBranches.forEach((branch, i) => compareSchemas(walk, `${field}<${i}>`, branch, nowBranches[i]))
    else add(walk, true, field, 'alternatives (anyOf/oneOf) changed')
  }
  // Anything this differ does not understand is assumed to break: better a false alarm than a silent break.
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!handled.has(key) && !isDeepStrictEqual(before[key], after[key])) add(walk, true, field, `${key} changed`)
  }
}

type Operation = Schema & { parameters?: Parameter[], requestBody?: Body, responses?: Record<string, Response> }
interface Parameter { in: string, name: string, required?: boolean, schema?: Schema }
interface Body { required?: boolean, content?: Record<string, { schema?: unknown }> }
interface Response { content?: Record<string, { schema?: unknown }> }

// A parameter with a default is filled in by the server, so clients need not send it.
function mandatory (parameter: Parameter): boolean {
  return parameter.required === true && parameter.schema?.default === undefined
}

function compareParameters (walk: Walk, before: Parameter[] = [], after: Parameter[] = []): void {
  const key = (parameter: Parameter) => `${parameter.in} parameter ${parameter.name}`
  const was = new Map(before.map((parameter) => [key(parameter), parameter]))
  const now = new Map(after.map((parameter) => [key(parameter), parameter]))
  const input = { ...walk, direction: 'input' as const }
  for (const [name, parameter] of was) {
    const next = now.get(name)
    if (!next) {
      add(walk, parameter.in === 'path', name, 'removed')
      continue
    }
    if (!mandatory(parameter) && mandatory(next)) add(walk, true, name, 'became required')
    if (mandatory(parameter) && !mandatory(next)) add(walk, false, name, 'became optional')
    compareSchemas(input, name, parameter.schema, next.schema)
  }
  for (const [name, parameter] of now) {
    if (!was.has(name)) add(walk, mandatory(parameter), name, mandatory(parameter) ? 'added as required' : 'added (optional)')
  }
}

function compareBodies (walk: Walk, before: Body | undefined, after: Body | undefined): void {
  const input = { ...walk, direction: 'input' as const, where: `${walk.where} body` }
  if (!before && !after) return
  if (!before) return add(input, after?.required === true, '', after?.required === true ? 'added as required' : 'added (optional)')
  if (!after) return add(input, false, '', 'no longer read')
  if (before.required !== true && after.required === true) add(input, true, '', 'became required')
  for (const [type, media] of Object.entries(before.content ?? {})) {
    const next = after.content?.[type]
    if (!next) add(input, true, '', `${type} no longer accepted`)
    else compareSchemas(input, '', media.schema, next.schema)
  }
  for (const type of Object.keys(after.content ?? {})) {
    if (!before.content?.[type]) add(input, false, '', `${type} now accepted`)
  }
}

function successStatus (responses: Record<string, Response> = {}): string | undefined {
  return Object.keys(responses).filter((status) => /^2\d\d$/.test(status)).sort()[0]
}

function compareResponses (walk: Walk, before: Record<string, Response> = {}, after: Record<string, Response> = {}): void {
  const [was, now] = [successStatus(before), successStatus(after)]
  if (was !== now) add(walk, true, '', `success status changed from ${was ?? 'none'} to ${now ?? 'none'}`)
  for (const [status, response] of Object.entries(before)) {
    const next = after[status]
    const output = { ...walk, direction: 'output' as const, where: `${walk.where} response ${status}` }
    if (!next) {
      if (status !== was) add(output, false, '', 'no longer documented')
      continue
    }
    for (const [type, media] of Object.entries(response.content ?? {})) {
      const nextMedia = next.content?.[type]
      if (!nextMedia) add(output, true, '', `no longer sent as ${type}`)
      else compareSchemas(output, '', media.schema, nextMedia.schema)
    }
    for (const type of Object.keys(next.content ?? {})) {
      if (!response.content?.[type]) add(output, true, '', `may now be sent as ${type}`)
    }
  }
  for (const status of Object.keys(after).filter((status) => !(status in before))) {
    add({ ...walk, where: `${walk.where} response ${status}` }, false, '', 'added')
  }
}

function operations (document: OpenApiDocument): Map<string, Operation> {
  const found = new Map<string, Operation>()
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of methods) {
      const operation = (item as Record<string, Operation | undefined>)[method]
      if (operation) found.set(`${method.toUpperCase()} ${path}`, operation)
    }
  }
  return found
}

/** Every difference between a published document and the current one, breaking ones marked. */
export function diffDocuments (before: OpenApiDocument, after: OpenApiDocument): Change[] {
  const changes: Change[] = []
  const [was, now] = [operations(before), operations(after)]
  for (const [name, operation] of was) {
    const next = now.get(name)
    const walk: Walk = { before, after, direction: 'input', where: name, changes }
    if (!next) {
      add(walk, true, '', 'operation removed')
      continue
    }
    compareParameters(walk, operation.parameters, next.parameters)
    compareBodies(walk, operation.requestBody, next.requestBody)
    compareResponses(walk, operation.responses, next.responses)
  }
  for (const name of now.keys()) if (!was.has(name)) changes.push({ breaking: false, message: `${name}: operation added` })
  return changes
}
