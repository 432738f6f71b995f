// A module's operations as the gateway's clients see them. The gateway signs every call it
// relays, so its clients send no service token and never get the service's 401; it counts
// them against its own rate limit (429); and it answers 502, 503 and 504 itself when no
// instance of the module can give an answer.
import { problemContentType } from '../primitives/problem.js'
import { serviceTokenScheme } from '../contracts/operation-docs.js'
import type { OpenApiDocument } from '../primitives/openapi-document.js'

interface Operation {
  security?: Array<Record<string, string[]>>
  responses?: Record<string, unknown>
  [key: string]: unknown
}

// In a served document, where components.schemas.Problem is already in place.
function problemResponse (description: string) {
  return { description, content: { [problemContentType]: { schema: { $ref: '#/components/schemas/Problem' } } } }
}

const edgeProblems = {
  429: {
    ...problemResponse('The client\'s rate limit at the gateway (RATE_LIMIT_MAX per window, set at run time) is exhausted'),
    headers: { 'Retry-After': { schema: { type: 'integer', minimum: 0 }, description: 'seconds until the client\'s window resets' } }
  },
  502: problemResponse('The module sent a response the gateway could not relay'),
  503: problemResponse('No instance of the module is known or reachable'),
  504: problemResponse('The module did not answer in time')
}

const methods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])

function atTheEdge (operation: Operation): Operation {
  const signed = operation.security?.some((requirement) => serviceTokenScheme in requirement) === true
  const { 401: _refused, ...unsigned } = operation.responses ?? {}
  const kept: Record<string, unknown> = signed ? unsigned : operation.responses ?? {}
  // A status the module gives itself (orders' 503 when users is down) keeps its words, and adds the gateway's.
  const added = Object.fromEntries(Object.entries(edgeProblems).map(([status, problem]) => {
    const own = kept[status] as { description?: string } | undefined
    return [status, own ? { ...own, description: `${own.description}. At the gateway: ${problem.description}` } : problem]
  }))
  return {
    ...operation,
    security: (operation.security ?? []).filter((requirement) => !(serviceTokenScheme in requirement)),
    responses: { ...kept, ...added }
  }
}

/** The module's document with each operation as served through the gateway. */
export function edgeDocument (document: OpenApiDocument): OpenApiDocument {
  const paths = Object.fromEntries(Object.entries(document.paths ?? {}).map(([path, item]) => [
    path,
    Object.fromEntries(Object.entries(item as Record<string, unknown>).map(([key, value]) => [key, methods.has(key) ? atTheEdge(value as Operation) : value]))
  ]))
  return { ...document, paths }
}
