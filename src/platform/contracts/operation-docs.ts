// What the OpenAPI document says of an operation beyond its contract: the refusals the platform
// adds on every route (validation, body limits, media type, rate limit, service token), a real
// description and the Location header on its success response, and its security requirement.
import { STATUS_CODES } from 'node:http'
import type { TSchema } from '@sinclair/typebox'
import { problemResponse } from '../primitives/problem.js'
import { serviceTokenHeader } from '../primitives/header-names.js'
import { successStatus, type ResponseDefinition, type RouteDefinition } from './define-contract.js'

export interface OperationDocsOptions {
  /** SERVICE_SECRET is set: the route answers only calls with a valid service token. */
  serviceAuth: boolean
  /** The server's BODY_LIMIT_BYTES, for routes that set no lower limit. */
  bodyLimit: number
}

/** The name under components.securitySchemes of the service token (the admin token's is adminToken). */
export const serviceTokenScheme = 'serviceToken'

const retryAfter = { 'Retry-After': { type: 'integer', minimum: 0, description: 'seconds until the client\'s window resets' } }
const location = { Location: { type: 'string', description: 'where the new resource can be read (GET it there)' } }

function platformProblems (route: RouteDefinition, { serviceAuth, bodyLimit }: OperationDocsOptions): Record<number, unknown> {
  const body = route.schema.body !== undefined
  return {
    400: problemResponse('The request is malformed or fails validation; errors[] names each bad field'),
    ...(serviceAuth && { 401: problemResponse(`SERVICE_SECRET is set: only calls from Cleave services are taken, with a valid ${serviceTokenHeader} header`) }),
    ...(body && {
      413: problemResponse(`The body is larger than ${route.bodyLimit ?? bodyLimit} bytes`),
      415: problemResponse('The body is not application/json in UTF-8')
    }),
    // A signed call is exempt from the limit, and with SERVICE_SECRET set every call that gets
    // past the token check is signed: only an open process can answer 429.
    ...(!serviceAuth && { 429: { ...problemResponse('The client\'s rate limit (RATE_LIMIT_MAX per window, set at run time) is exhausted'), headers: retryAfter } }),
    500: problemResponse('Unexpected failure; details are in the server log')
  }
}

// @fastify/swagger reads a response's description from `description` (content form) or
// `x-response-description` (schema form), and its headers from `headers`; Fastify's serializer
// ignores both.
function describedSuccess (route: RouteDefinition, status: number, response: ResponseDefinition): unknown {
  const headers = route.location !== undefined && (status === 201 || status === 202) ? { headers: location } : {}
  const fallback = `${STATUS_CODES[status] ?? status}: ${route.schema.summary ?? `${route.method} ${route.url}`}`
  if ('content' in response) return { ...response, description: response.description ?? fallback, ...headers }
  const schema = response as TSchema
  return { ...schema, 'x-response-description': schema.description ?? fallback, ...headers }
}

/** Every response the route can give: the contract's own, over the platform's refusals. */
export function operationResponses (route: RouteDefinition, options: OperationDocsOptions): Record<number, unknown> {
  const status = successStatus(route)
  return {
    ...platformProblems(route, options),
    ...route.schema.response,
    [status]: describedSuccess(route, status, route.schema.response[status])
  }
}

/** Open (an empty requirement) unless SERVICE_SECRET is set. */
export function operationSecurity ({ serviceAuth }: OperationDocsOptions): Array<Record<string, string[]>> {
  return serviceAuth ? [{ [serviceTokenScheme]: [] }] : []
}
