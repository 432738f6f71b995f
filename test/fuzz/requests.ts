// fast-check arbitraries for requests: valid ones built from the schema (their effects are
// predicted by the model) and malformed ones built by breaking a request in one or more ways.
import fc from 'fast-check'
import type { Operation, Schema } from './operations.js'

export const unicodeEdges = [
  '\u202Eevil\u202C', '\u200F\u05E9\u05DC\u05D5\u05DD', '\uD800', 'x\uDFFFy', 'e\u0301\u0301\u0301\u0301', '👩‍👩‍👧‍👦🏳️‍🌈',
  '\u0000', 'a\u0000b', '\uFEFFbom', '\u200B', '𝕏'.repeat(60), 'ﷺ', '\u0085\u2028\u2029', '\\u0000', '%00', '"; DROP TABLE users; --'
]

// Text that Ajv's coercion reads as a number no column holds: non-finite, or past 2^53.
function numberEdges (): string[] {
  return ['Infinity', '-Infinity', 'NaN', '1e999', '-1e999', '1e21', '9007199254740993', '9223372036854775808', '1e308']
}

// Sent as raw bytes: invalid or overlong UTF-8 that a well-behaved client would never produce.
export const badUtf8 = [Buffer.from([0xff, 0xfe]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xe0, 0x80, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]), Buffer.from([0xc3])]

const pathAttacks = [
  '..', '../../../../etc/passwd', '..%2f..%2f..%2fetc%2fpasswd', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '%2e%2e', '%252e%252e%252f', '..%5c..%5c',
  '%2F', '1%2F2', '%00', '1%00', '%C0%AE%C0%AE%2F', '%FF', '%E2%80%AE1', '%ZZ', '-1', '0', '1.5', '1e3', '0x10', ' 1', '9007199254740993',
  '1'.repeat(40), 'x'.repeat(150), '\u0000', '\xc0\xaf', '\xff', 'é', '🙂',
  ...numberEdges()
]

export type Mutation = 'none' | 'drop' | 'wrongType' | 'extra' | 'columns' | 'huge' | 'unicode' | 'rawBytes'
// Fields named like the stores' columns, with values that would do harm if they were written:
// another row's id, an id past SQLite's range, a date that is not one.
export const columnNames = ['id', 'createdAt', 'updatedAt', 'orderId', 'position', 'userId', 'state', 'attempts', 'result', 'payload', 'eventId']
export const columnValues = [777_777, 9223372036854774784, 0, -1, 1, 'not-a-date', '2000-01-01T00:00:00.000Z', 'completed', null, { checksum: 'x' }]

/** A column-named field added to an otherwise valid body (nested: into its first item, where it has items). */
export interface Column { name: string, value: unknown, nested: boolean }

// One valid body in four carries one, so most still change the data the model follows.
const columnArb: fc.Arbitrary<Column | null> = fc.oneof(
  { arbitrary: fc.constant(null), weight: 3 },
  { arbitrary: fc.record({ name: fc.constantFrom(...columnNames), value: fc.constantFrom(...columnValues), nested: fc.boolean() }), weight: 1 }
)

export type Encoding = 'json' | 'truncated' | 'garbage' | 'empty' | 'notObject' | 'overLimit'

export interface MalformedRecipe {
  type: 'malformed'
  op: number
  method: string | null
  /** null: an id the model knows (so a bad body meets a real resource) */
  pathValue: string | null
  pick: number
  query: Array<[string, string]>
  base: Record<string, unknown>
  mutation: Mutation
  field: number
  value: unknown
  encoding: Encoding
  contentType: string | null
  requestId: string | null
}

export type ValidRecipe =
  | { type: 'createUser', name: string, emailKey: string, shout: boolean, column: Column | null }
  | { type: 'updateUser', pick: number, name?: string, emailKey?: string, column: Column | null }
  | { type: 'deleteUser', pick: number }
  | { type: 'placeOrder', pick: number, items: Array<{ sku: string, qty: number }>, column: Column | null }
  | { type: 'queueTask', payload: Record<string, unknown>, column: Column | null }
  | { type: 'read', op: number, pick: number }

export type Recipe = MalformedRecipe | ValidRecipe

/** A value the schema accepts (roughly: enough to get past validation most of the time). */
export function validValue (schema: Schema = {}): fc.Arbitrary<unknown> {
  const choices = schema.enum ?? (schema.anyOf?.every((branch: Schema) => branch.enum) ? schema.anyOf.flatMap((branch: Schema) => branch.enum) : undefined)
  if (choices) return fc.constantFrom(...choices)
  switch (schema.type) {
    case 'object': {
      const entries = Object.entries(schema.properties ?? {}) as Array<[string, Schema]>
      return fc.record(Object.fromEntries(entries.map(([name, property]) => [name, validValue(property)])), { requiredKeys: schema.required ?? [] })
    }
    case 'array': return fc.array(validValue(schema.items), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 3, 3) })
    case 'integer': return fc.integer({ min: schema.minimum ?? -1000, max: Math.min(schema.maximum ?? 1000, 1000) })
    case 'number': return fc.double({ noNaN: true, noDefaultInfinity: true })
    case 'boolean': return fc.boolean()
    case 'string':
      if (schema.format === 'email') return fc.uuid().map((id) => `${id}@example.com`)
      if (schema.format === 'uuid') return fc.uuid()
      if (schema.pattern?.startsWith('^')) return fc.stringMatching(new RegExp(schema.pattern)).filter((text) => text.length >= (schema.minLength ?? 0) && text.length <= (schema.maxLength ?? 64))
      return fc.string({ unit: 'grapheme', minLength: Math.max(schema.minLength ?? 0, 1), maxLength: Math.min(schema.maxLength ?? 20, 20) }).filter((text) => /\S/.test(text) && [...text].length <= (schema.maxLength ?? 20))
    default: return fc.jsonValue({ maxDepth: 2 })
  }
}

const wrongValues = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, Infinity, -0, '', ' ', '0', 'true', [], {}, [1, 2], { nested: { deeper: [] } }, Number.MAX_SAFE_INTEGER + 2),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer(),
  fc.constantFrom(...unicodeEdges)
)

const contentTypes = ['application/json', 'application/json', 'application/json', null, 'text/plain', 'application/xml', 'application/json; charset=utf-16',
  'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/merge-patch+json', 'application/json; charset=latin1', 'APPLICATION/JSON', '*/*', 'application/problem+json']

const oddMethods = ['PUT', 'OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH', 'FOO', 'get', 'GE T']

function queryArb (operation: Operation): fc.Arbitrary<Array<[string, string]>> {
  const names = operation.parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name)
  const name = fc.constantFrom(...names, 'unknown', '__proto__', 'limit[]', 'cursor[0]', '')
  const value = fc.oneof(
    fc.integer({ min: -5, max: 200 }).map(String),
    fc.constantFrom('', 'abc', '1.5', '-0', '1e3', '9'.repeat(400), '%ZZ', '%00', 'null', 'true', '[]', '0x1f', ' 7', '1,2', ...numberEdges()),
    fc.constantFrom(...unicodeEdges.filter((text) => !/[\uD800-\uDFFF]/.test(text.replace(/\uD835[\uDD4F]/g, '')))).map(encodeURIComponent)
  )
  return fc.array(fc.tuple(name, value), { maxLength: 5 })
}

export function recipeArb (operations: Operation[], has: (method: string, template: string) => boolean): fc.Arbitrary<Recipe> {
  const malformed = fc.integer({ min: 0, max: operations.length - 1 }).chain((op) => {
    const operation = operations[op]
    return fc.record({
      type: fc.constant('malformed' as const),
      op: fc.constant(op),
      method: fc.option(fc.constantFrom(...oddMethods, 'GET', 'POST', 'PATCH', 'DELETE'), { freq: 5 }),
      pathValue: fc.option(fc.constantFrom(...pathAttacks, ...unicodeEdges.map((text) => { try { return encodeURIComponent(text) } catch { return text } })), { freq: 3 }),
      pick: fc.nat(),
      query: queryArb(operation),
      base: operation.body ? (validValue(operation.body) as fc.Arbitrary<Record<string, unknown>>) : fc.constant({}),
      mutation: fc.constantFrom<Mutation>('none', 'drop', 'wrongType', 'wrongType', 'extra', 'columns', 'columns', 'huge', 'unicode', 'unicode', 'rawBytes'),
      field: fc.nat(),
      value: wrongValues,
      encoding: fc.constantFrom<Encoding>('json', 'json', 'json', 'json', 'truncated', 'garbage', 'empty', 'notObject', 'overLimit'),
      contentType: fc.constantFrom(...contentTypes),
      requestId: fc.option(fc.constantFrom('ok-id', 'x'.repeat(300), 'bad id\u00e9', '../../etc', '%00', ''), { freq: 4 })
    })
  })
  const name = validValue({ type: 'string', minLength: 1, maxLength: 50 }) as fc.Arbitrary<string>
  const valid: Array<fc.Arbitrary<Recipe>> = []
  if (has('POST', '/users')) valid.push(fc.record({ type: fc.constant('createUser' as const), name, emailKey: fc.uuid(), shout: fc.boolean(), column: columnArb }))
  if (has('PATCH', '/users/{id}')) valid.push(fc.record({ type: fc.constant('updateUser' as const), pick: fc.nat(), name, emailKey: fc.uuid(), column: columnArb }, { requiredKeys: ['type', 'pick', 'column'] }))
  if (has('DELETE', '/users/{id}')) valid.push(fc.record({ type: fc.constant('deleteUser' as const), pick: fc.nat() }))
  if (has('POST', '/orders')) {
    const item = fc.record({ sku: validValue({ type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', maxLength: 64 }) as fc.Arbitrary<string>, qty: fc.integer({ min: 1, max: 1000 }) })
    valid.push(fc.record({ type: fc.constant('placeOrder' as const), pick: fc.nat(), items: fc.array(item, { minLength: 1, maxLength: 4 }), column: columnArb }))
  }
  if (has('POST', '/async_task')) {
    const payload = fc.dictionary(fc.string({ maxLength: 8 }).filter((key) => !['delayMs', 'fail', 'failAttempts', '__proto__'].includes(key)), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 })
    valid.push(fc.record({ type: fc.constant('queueTask' as const), payload, column: columnArb }))
  }
  valid.push(fc.record({ type: fc.constant('read' as const), op: fc.integer({ min: 0, max: operations.length - 1 }), pick: fc.nat() }))
  return fc.oneof({ arbitrary: malformed, weight: 3 }, ...valid.map((arbitrary) => ({ arbitrary, weight: 1 })))
}
