import createError from '@fastify/error'
import fp from 'fastify-plugin'
import { STATUS_CODES, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import { Problem, problemContentType, problemType, type ProblemBody } from './problem.js'

export { createError }

export const RouteNotFound = createError('CLV_ROUTE_NOT_FOUND', 'Route %s %s not found', 404)
// Fastify's own code, kept so clients see one code whether a service or the gateway refused the body.
export const BodyTooLarge = createError('FST_ERR_CTP_BODY_TOO_LARGE', 'The request body is larger than the limit of %d bytes', 413)

interface ValidationIssue { instancePath: string, message?: string, keyword: string, params: Record<string, unknown> }

function fieldOf (issue: ValidationIssue): string {
  const missing = issue.params.missingProperty ?? issue.params.additionalProperty
  return typeof missing === 'string' ? `${issue.instancePath}/${missing}` : issue.instancePath || '/'
}

function validationProblem (error: FastifyError, base: ProblemBody): ProblemBody {
  const where = error.validationContext ?? 'body'
  const errors = (error.validation as ValidationIssue[]).map((issue) => ({
    in: where,
    field: fieldOf(issue),
    message: issue.message ?? issue.keyword
  }))
  return {
    ...base,
    type: problemType('CLV_VALIDATION'),
    code: 'CLV_VALIDATION',
    detail: errors.map((issue) => `${issue.in}${issue.field === '/' ? '' : issue.field} ${issue.message}`).join('; '),
    errors
  }
}

export function toProblem (error: FastifyError, request: FastifyRequest): ProblemBody {
  // Fastify's message does not say how large a body may be; the route knows.
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') error = new BodyTooLarge(request.routeOptions.bodyLimit)
  const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
  const base = {
    type: problemType('CLV_INTERNAL'),
    title: STATUS_CODES[status] ?? 'Error',
    status,
    code: 'CLV_INTERNAL',
    instance: request.url,
    requestId: request.id
  }
  if (status >= 500) {
    // Internals stay in the log; the body says only what the caller can act on.
    const code = error.code?.startsWith('CLV_') ? error.code : 'CLV_INTERNAL'
    return { ...base, type: problemType(code), code, detail: code === 'CLV_INTERNAL' ? 'An unexpected error occurred' : error.message }
  }
  if (error.validation) return validationProblem(error, base)
  const code = error.code ?? `CLV_HTTP_${status}`
  // An error may carry RFC 9457 extension members (e.g. the limit a 429 hit).
  const { extensions } = error as { extensions?: Record<string, unknown> }
  return { ...extensions, ...base, type: problemType(code), code, detail: error.message }
}

export function sendProblem (reply: FastifyReply, problem: ProblemBody): FastifyReply {
  return reply.code(problem.status).type(problemContentType).send(problem)
}

// Fastify answers a URL it cannot decode, or a path parameter over maxParamLength, before any
// route or hook runs, in its own JSON shape; this gives those answers the same problem+json shape.
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (error, request, reply) => {
  request.log.debug({ err: error }, 'request rejected')
  void sendProblem(reply, toProblem(error, request))
}

const clientErrors: Record<string, [status: number, code: string, detail: string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'CLV_REQUEST_TIMEOUT', 'The request was not received in time'],
  HPE_HEADER_OVERFLOW: [431, 'CLV_HEADERS_TOO_LARGE', 'The request headers are too large']
}

// Bytes Node's HTTP parser refuses (an unknown method, a control byte in the path, a bad chunk)
// never become a request, so no handler sees them, and a request past REQUEST_TIMEOUT_MS is cut
// by Node itself: the answer is written to the socket here.
export function clientErrorHandler (this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const [status, code, detail] = clientErrors[error.code ?? ''] ?? [400, 'CLV_MALFORMED_REQUEST', 'The request is not valid HTTP']
  const title = STATUS_CODES[status] ?? 'Error'
  const body = JSON.stringify({ type: problemType(code), title, status, code, detail })
  this.log.debug({ err: error, code }, 'request refused before it was complete')
  // A response already under way (its status line sent) cannot be followed by another one; Node's
  // own handler makes the same check on the same field.
  const response = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
  if (socket.writable && response?.headersSent !== true) {
    socket.write(`HTTP/1.1 ${status} ${title}\r\nContent-Type: ${problemContentType}; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy(error)
}

async function errors (app: FastifyInstance) {
  app.addSchema(Problem)
  // Every route speaks JSON; a text body is the wrong media type (415), not a malformed object.
  app.removeContentTypeParser('text/plain')

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toProblem(error, request)
    // Only the unexpected needs its stack; a coded 5xx (a dependency down) is already explained.
    if (problem.code === 'CLV_INTERNAL') request.log.error({ err: error }, 'request failed')
    else if (problem.status >= 500) request.log.warn({ code: problem.code, detail: problem.detail }, 'request failed')
    else request.log.debug({ err: error }, 'request rejected')
    return sendProblem(reply, problem)
  })

  app.setNotFoundHandler((request, reply) => {
    const error = new RouteNotFound(request.method, request.url.split('?')[0])
    return sendProblem(reply, toProblem(error, request))
  })
}

export default fp(errors, { name: 'errors' })
