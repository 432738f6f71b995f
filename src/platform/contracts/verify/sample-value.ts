// A value that satisfies a JSON schema (TypeBox's), for the requests verify builds: the smallest
// that meets its bounds, formats and enums, with required fields only unless more are needed.
import { randomUUID } from 'node:crypto'

export type Schema = Record<string, unknown>

// One run's values differ from another's, so unique fields (an email) do not collide with earlier runs.
const run = randomUUID().slice(0, 8)
let counter = 0

const byFormat: Record<string, () => string> = {
  email: () => `verify-${run}-${++counter}@example.com`,
  'date-time': () => new Date().toISOString(),
  date: () => new Date().toISOString().slice(0, 10),
  time: () => '12:00:00Z',
  uuid: () => randomUUID(),
  uri: () => 'https://example.com/verify',
  'uri-reference': () => '/verify',
  hostname: () => 'example.com',
  ipv4: () => '192.0.2.1',
  ipv6: () => '2001:db8::1'
}

function sampleString (schema: Schema): string {
  if (typeof schema.format === 'string' && byFormat[schema.format]) return byFormat[schema.format]()
  const min = typeof schema.minLength === 'number' ? schema.minLength : 1
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Math.max(min, 8)
  const pattern = typeof schema.pattern === 'string' ? new RegExp(schema.pattern, 'u') : undefined
  for (const seed of ['verify', 'v1', 'a', '1', 'x-1', 'A']) {
    const text = seed.padEnd(min, seed.at(-1)).slice(0, max)
    if (!pattern || pattern.test(text)) return text
  }
  return 'verify'.padEnd(min, 'y').slice(0, max)
}

function sampleNumber (schema: Schema, integer: boolean): number {
  const min = typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + (integer ? 1 : 0.5) : 1
  const max = typeof schema.maximum === 'number' ? schema.maximum : typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum - (integer ? 1 : 0.5) : Number.MAX_SAFE_INTEGER
  const value = Math.min(Math.max(min, 1), max)
  return integer ? Math.ceil(value) : value
}

function sampleObject (schema: Schema): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, Schema>
  const required = new Set((schema.required ?? []) as string[])
  const wanted = typeof schema.minProperties === 'number' ? schema.minProperties : 0
  const names = Object.keys(properties).filter((name) => required.has(name))
  for (const name of Object.keys(properties)) if (names.length < wanted && !required.has(name)) names.push(name)
  return Object.fromEntries(names.map((name) => [name, sampleValue(properties[name])]))
}

export function sampleValue (schema: Schema): unknown {
  if ('const' in schema) return schema.const
  if (Array.isArray(schema.enum)) return schema.enum[0]
  if ('default' in schema) return schema.default
  const branches = (schema.anyOf ?? schema.oneOf ?? schema.allOf) as Schema[] | undefined
  if (Array.isArray(branches)) return sampleValue(branches[0])
  switch ([schema.type].flat()[0]) {
    case 'string': return sampleString(schema)
    case 'integer': return sampleNumber(schema, true)
    case 'number': return sampleNumber(schema, false)
    case 'boolean': return true
    case 'null': return null
    case 'array': return Array.from({ length: typeof schema.minItems === 'number' ? Math.max(schema.minItems, 1) : 1 }, () => sampleValue((schema.items ?? {}) as Schema))
    case 'object': return sampleObject(schema)
    default: return {}
  }
}

/** A value of another JSON type than the schema accepts, or undefined when it accepts any. */
export function wrongValue (schema: Schema): unknown {
  const type = [schema.type].flat()[0]
  if (type === 'string') return 12345
  if (type === 'integer' || type === 'number' || type === 'boolean' || type === 'object' || type === 'array') return 'x'
  return undefined
}

/** Text a path or query parameter of this schema refuses, or undefined when every text fits. */
export function wrongText (schema: Schema): string | undefined {
  const type = [schema.type].flat()[0]
  if (type === 'integer' || type === 'number' || type === 'boolean') return 'x'
  if (type === 'string' && (schema.format !== undefined || schema.enum !== undefined)) return 'x!'
  return undefined
}
