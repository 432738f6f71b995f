// The requests verify sends for one operation: a valid one built from its schemas, and invalid
// ones that differ from it in one way the contract refuses (a value of the wrong type, a
// required field left out, a field nobody declared), each of which must get a 400.
import type { RouteDefinition } from '../define-contract.js'
import { sampleValue, wrongText, wrongValue, type Schema } from './sample-value.js'

export interface PlannedRequest {
  method: string
  /** Path and query string, e.g. /users/3?limit=1 */
  path: string
  body?: unknown
  /** Why it must be refused; undefined for the valid request. */
  refusedFor?: string
  /**
   * Set when the refusal is Cleave's own convention, which the published document cannot
   * express: what the answer breaks is a warning, a failure only under --strict.
   */
  convention?: true
}

interface Parts {
  params: Record<string, unknown>
  query: Record<string, unknown>
  body?: unknown
}

const unknownField = 'verifyUnknownField'

function propertiesOf (schema: Schema | undefined): Array<[string, Schema]> {
  return Object.entries((schema?.properties ?? {}) as Record<string, Schema>)
}

function requiredOf (schema: Schema | undefined): string[] {
  return (schema?.required ?? []) as string[]
}

function pathOf (route: RouteDefinition, { params, query }: Parts): string {
  const path = route.url.replace(/:(\w+)/g, (_match, name: string) => encodeURIComponent(String(params[name])))
  const search = new URLSearchParams(Object.entries(query).map(([key, value]): [string, string] => [key, String(value)])).toString()
  return search ? `${path}?${search}` : path
}

/** Values from a resource the run created (a Location), over generated ones. */
function validParts (route: RouteDefinition, known: Record<string, unknown>): Parts {
  const params = { ...sampleValue((route.schema.params ?? { type: 'object' }) as Schema) as Record<string, unknown>, ...known }
  const query = sampleValue((route.schema.querystring ?? { type: 'object' }) as Schema) as Record<string, unknown>
  return { params, query, ...(route.schema.body !== undefined && { body: sampleValue(route.schema.body as Schema) }) }
}

function invalidVariants (route: RouteDefinition, valid: Parts): Array<[string, Parts, convention?: true]> {
  const variants: Array<[string, Parts, convention?: true]> = []
  const { params, querystring, body } = route.schema as { params?: Schema, querystring?: Schema, body?: Schema }
  for (const [name, schema] of propertiesOf(params)) {
    const text = wrongText(schema)
    if (text !== undefined) variants.push([`path parameter ${name} of the wrong type`, { ...valid, params: { ...valid.params, [name]: text } }])
  }
  const [first] = propertiesOf(querystring).flatMap(([name, schema]) => {
    const text = wrongText(schema)
    return text === undefined ? [] : [[name, text] as const]
  })
  if (first) variants.push([`query parameter ${first[0]} of the wrong type`, { ...valid, query: { ...valid.query, [first[0]]: first[1] } }])
  // OpenAPI has no way to close a query string: refusing an undeclared parameter is a convention.
  if (querystring?.additionalProperties === false) variants.push([`unknown query parameter ${unknownField}`, { ...valid, query: { ...valid.query, [unknownField]: '1' } }, true])
  if (body === undefined) return variants
  const sent = valid.body as Record<string, unknown>
  const typed = propertiesOf(body).find(([, schema]) => wrongValue(schema) !== undefined)
  if (typed) variants.push([`body field ${typed[0]} of the wrong type`, { ...valid, body: { ...sent, [typed[0]]: wrongValue(typed[1]) } }])
  const needed = requiredOf(body).find((name) => propertiesOf(body).some(([field, schema]) => field === name && !('default' in schema)))
  if (needed) {
    const { [needed]: _left, ...rest } = sent
    variants.push([`body without its required field ${needed}`, { ...valid, body: rest }])
  }
  if (body.additionalProperties === false) variants.push([`body with the unknown field ${unknownField}`, { ...valid, body: { ...sent, [unknownField]: 1 } }])
  return variants
}

/** The invalid requests first (they must change nothing), then the valid one. */
export function plannedRequests (route: RouteDefinition, known: Record<string, unknown>): PlannedRequest[] {
  const valid = validParts(route, known)
  const request = (parts: Parts, refusedFor?: string, convention?: true): PlannedRequest => ({ method: route.method, path: pathOf(route, parts), ...(parts.body !== undefined && { body: parts.body }), refusedFor, ...(convention && { convention }) })
  return [...invalidVariants(route, valid).map(([why, parts, convention]) => request(parts, why, convention)), request(valid)]
}

/** The route's path parameters in a Location the run was given, when it points at this route. */
export function paramsFromLocation (route: RouteDefinition, location: string): Record<string, unknown> | undefined {
  const names: string[] = []
  const pattern = new RegExp(`^${route.url.replace(/:(\w+)/g, (_match, name: string) => { names.push(name); return '([^/?#]+)' })}$`)
  const match = pattern.exec(new URL(location, 'http://base').pathname)
  if (!match || names.length === 0) return undefined
  const params = propertiesOf(route.schema.params as Schema | undefined)
  return Object.fromEntries(names.map((name, i) => {
    const text = decodeURIComponent(match[i + 1])
    const type = [params.find(([field]) => field === name)?.[1].type].flat()[0]
    return [name, type === 'integer' || type === 'number' ? Number(text) : text]
  }))
}
