// Whether one answer keeps the contract: a status the operation declares, the media type it
// declares (problem+json for every error), a body its schema accepts and, for a problem, a code
// the contract or the platform gives. Each broken rule is one line, as verify prints it.
import type { TSchema } from '@sinclair/typebox'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import type { Contract, RouteDefinition } from '../define-contract.js'
import { Problem, problemContentType } from '../../primitives/problem.js'
import { operationResponses } from '../operation-docs.js'

export interface Answer {
  status: number
  contentType: string
  location?: string
  text: string
}

// A check, not a validator: no defaults filled in (they would hide a missing field), every error reported.
const ajv = addFormats.default(new Ajv({ allErrors: true, strict: false }))
ajv.addSchema(Problem)
const checks = new WeakMap<TSchema, ValidateFunction>()

function checkOf (schema: TSchema): ValidateFunction {
  let check = checks.get(schema) ?? (typeof schema.$id === 'string' ? ajv.getSchema(schema.$id) : undefined)
  if (!check) checks.set(schema, check = ajv.compile(schema))
  return check
}

// The platform's own refusals, in every Cleave process whatever the module (validation, bodies,
// media types, rate limits, service tokens) and what a module answers when a dependency is down.
const platformCodes = /^CLV_(VALIDATION|INVALID_JSON|EMPTY_BODY|FORBIDDEN_KEY|BAD_URL|BODY_LENGTH_MISMATCH|BODY_TOO_LARGE|UNSUPPORTED_MEDIA_TYPE|UNSUPPORTED_CHARSET|PARAM_TOO_LONG|RATE_LIMITED|SERVICE_TOKEN_[A-Z_]+|DEPENDENCY_UNAVAILABLE|DATABASE_UNAVAILABLE)$/

function shown (value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

function valueAt (value: unknown, pointer: string): unknown {
  return pointer.split('/').slice(1).reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key.replaceAll('~1', '/').replaceAll('~0', '~')], value)
}

function expectation (error: ErrorObject, body: unknown): string {
  const value = valueAt(body, error.instancePath)
  if (error.keyword === 'required') return `expected a field ${String(error.params.missingProperty)}, got none`
  if (error.keyword === 'additionalProperties') return `expected no field ${String(error.params.additionalProperty)}, got one`
  if (error.keyword === 'type') return `expected ${String(error.params.type)}, got ${shown(value)}`
  return `expected it to ${(error.message ?? 'match its schema').replace(/^must /, '')}, got ${shown(value)}`
}

function schemaViolations (schema: TSchema, body: unknown): string[] {
  const check = checkOf(schema)
  if (check(body)) return []
  return (check.errors ?? []).map((error: ErrorObject) => `body${error.instancePath}: ${expectation(error, body)}`)
}

function declaredCodes (contract: Contract): Set<string> {
  return new Set(Object.values(contract.errors).map((Ctor) => new Ctor().code))
}

/** The media type and schema the route declares for a status. */
function declaredBody (route: RouteDefinition, status: number): { mediaType: string, schema?: TSchema } {
  const response = route.schema.response[status]
  if (response === undefined || status >= 400) return { mediaType: problemContentType, schema: Problem }
  if ('content' in response) {
    const [mediaType, { schema }] = Object.entries(response.content as Record<string, { schema: TSchema }>)[0]
    return { mediaType, schema }
  }
  return { mediaType: 'application/json', schema: response as TSchema }
}

function parsed (answer: Answer, mediaType: string): { body?: unknown, failure?: string } {
  if (!/[/+]json$/.test(mediaType)) return { body: answer.text }
  try {
    return { body: JSON.parse(answer.text) }
  } catch {
    return { failure: `body: expected JSON, got ${shown(answer.text)}` }
  }
}

/** Every rule the answer breaks; expectedStatus narrows the declared ones (a refused request must get 400). */
export function responseViolations (contract: Contract, route: RouteDefinition, answer: Answer, expectedStatus?: number): string[] {
  // 500 is documented (it can happen) but never kept: an error is the contract's or the platform's, with its code.
  const declared = Object.keys(operationResponses(route, { serviceAuth: false, bodyLimit: 0 })).map(Number).filter((status) => status !== 500)
  if (expectedStatus !== undefined && answer.status !== expectedStatus) return [`status: expected ${expectedStatus}, got ${answer.status}`]
  if (!declared.includes(answer.status)) return [`status: expected one of ${declared.join(', ')}, got ${answer.status}`]
  if (answer.status === 204) return []
  const { mediaType, schema } = declaredBody(route, answer.status)
  const given = answer.contentType.split(';')[0].trim().toLowerCase()
  if (given !== mediaType) return [`content-type: expected ${mediaType}, got ${answer.contentType || 'none'}`]
  const violations: string[] = []
  if (answer.status >= 200 && answer.status < 300 && route.location !== undefined && !answer.location) violations.push('location: expected a Location header, got none')
  const { body, failure } = parsed(answer, mediaType)
  if (failure) return [...violations, failure]
  if (schema) violations.push(...schemaViolations(schema, body))
  const code = (body as { code?: unknown } | undefined)?.code
  if (answer.status >= 400 && typeof code === 'string' && !declaredCodes(contract).has(code) && !platformCodes.test(code)) {
    violations.push(`problem code: expected one of ${[...declaredCodes(contract), 'CLV_VALIDATION', '…the platform\'s'].join(', ')}, got ${code}`)
  }
  return violations
}
