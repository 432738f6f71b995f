// Every value a contract accepts or promises has an upper bound: strings a maxLength (or a
// closed set: enum, const, a uuid or date-time format), numbers a minimum and a maximum within
// JavaScript's safe integers, arrays a maxItems, and objects taken in (requests, events) a closed
// set of members or a maxProperties (the values of undeclared members are bounded by
// BODY_LIMIT_BYTES and the depth rule of storable-values.ts). So
// no request, answer or event can carry a value larger than the module meant, and a new module
// cannot forget: this walks every schema of every contract, routes and events alike.
import t from 'tap'
import type { TSchema } from '@sinclair/typebox'
import { registry } from './helpers/modules.js'

const closedFormats = new Set(['uuid', 'date-time', 'date'])

function * unbounded (schema: TSchema, path: string, input: boolean): Generator<string> {
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    for (const [i, branch] of ((schema[key] as TSchema[] | undefined) ?? []).entries()) yield * unbounded(branch, `${path}/${key}/${i}`, input)
  }
  if (schema.const !== undefined || schema.enum !== undefined) return
  const types = ([] as unknown[]).concat(schema.type ?? [])
  if (types.length === 0 && !schema.anyOf && !schema.oneOf && !schema.allOf && !schema.$ref) yield `${path}: any value (no type)`
  for (const type of types) {
    if (type === 'string' && schema.maxLength === undefined && !closedFormats.has(schema.format)) yield `${path}: a string without maxLength`
    if ((type === 'integer' || type === 'number') && (typeof schema.minimum !== 'number' || typeof schema.maximum !== 'number' || Math.abs(schema.minimum) > Number.MAX_SAFE_INTEGER || Math.abs(schema.maximum) > Number.MAX_SAFE_INTEGER)) yield `${path}: a number without a safe minimum and maximum`
    if (type === 'array') {
      if (schema.maxItems === undefined) yield `${path}: an array without maxItems`
      if (schema.items) yield * unbounded(schema.items, `${path}/items`, input)
    }
    if (type === 'object') {
      for (const [name, member] of Object.entries((schema.properties ?? {}) as Record<string, TSchema>)) yield * unbounded(member, `${path}/${name}`, input)
      const extra = schema.additionalProperties as TSchema | boolean | undefined
      const patterned = Object.values((schema.patternProperties ?? {}) as Record<string, TSchema>)
      // An answer's undeclared members are never written (its serializer writes the declared ones).
      if (!input) continue
      if (extra !== false && schema.maxProperties === undefined) yield `${path}: an object open to more members without maxProperties`
      if (typeof extra === 'object') yield * unbounded(extra, `${path}/*`, input)
      for (const [i, member] of patterned.entries()) yield * unbounded(member, `${path}/pattern${i}`, input)
    }
  }
}

t.test('every schema of every contract is bounded', async (t) => {
  let walked = 0
  const found: string[] = []
  const walk = (schema: TSchema | undefined, where: string, input = true) => {
    if (!schema) return
    walked++
    found.push(...unbounded(schema, where, input))
  }
  for (const contract of registry.contracts.values()) {
    for (const [name, route] of Object.entries(contract.routes)) {
      const { params, querystring, body, response } = route.schema as Record<string, TSchema | undefined> & { response: Record<string, TSchema | { content: Record<string, { schema: TSchema }> }> }
      walk(params, `${contract.module}.${name} params`)
      walk(querystring, `${contract.module}.${name} query`)
      walk(body, `${contract.module}.${name} body`)
      for (const [status, answer] of Object.entries(response ?? {})) {
        const schemas = 'content' in answer ? Object.values(answer.content).map((entry) => (entry as { schema: TSchema }).schema) : [answer]
        for (const schema of schemas) walk(schema, `${contract.module}.${name} ${status}`, false)
      }
    }
    for (const [event, payload] of Object.entries(contract.events?.publishes ?? {})) walk(payload, `${contract.module} event ${event}`)
  }
  t.ok(walked > 50, `${walked} schemas walked`)
  t.same(found, [], 'nothing unbounded')
})
