import { STATUS_CODES, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify'
import { createError, ProblemError, type ProblemMembers } from '../primitives/coded-errors.js'
import { problemContentType, problemType, sendProblem, type ProblemBody } from '../primitives/problem.js'
import { issuesDetail, validationIssues } from '../primitives/validation-issues.js'

export { createError, createProblemError, ProblemError } from '../primitives/coded-errors.js'

export const RouteNotFound = createError('CLV_ROUTE_NOT_FOUND', 'Route %s %s not found', 404)
export const BodyTooLarge = createError('CLV_BODY_TOO_LARGE', 'The request body is larger than the limit of %d bytes', 413)
export const UnsupportedMediaType = createError('CLV_UNSUPPORTED_MEDIA_TYPE', 'Content-Type %s is not accepted: send application/json', 415)
export const BodyLengthMismatch = createError('CLV_BODY_LENGTH_MISMATCH', 'The body is not as long as its Content-Length says', 400)
export const BadUrl = createError('CLV_BAD_URL', 'The URL is not valid percent-encoded UTF-8', 400)
export const ParamTooLong = createError('CLV_PARAM_TOO_LONG', 'A path parameter is longer than %d characters', 414)

// Fastify's refusals under our codes, each saying what to send instead of Fastify's terser words.
const frameworkRefusals: Record<string, (request: FastifyRequest) => FastifyError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (request) => new BodyTooLarge(request.routeOptions.bodyLimit),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (request) => new UnsupportedMediaType(JSON.stringify(request.headers['content-type'] ?? '')),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new BodyLengthMismatch(),
  FST_ERR_BAD_URL: () => new BadUrl(),
  FST_ERR_MAX_PARAM_LENGTH: (request) => new ParamTooLong(request.server.initialConfig.maxParamLength ?? 100)
}

function validationProblem (error: FastifyError, base: ProblemBody): ProblemBody {
  const where = error.validationContext ?? 'body'
  const all = error.validation ?? []
  const issues = validationIssues(all)
  return {
    ...base,
    type: problemType('CLV_VALIDATION'),
    code: 'CLV_VALIDATION',
    detail: issuesDetail(issues, all.length, where),
    errors: issues.map(({ field, message }) => ({ in: where, field, message }))
  }
}

export function toProblem (error: FastifyError, request: FastifyRequest): ProblemBody {
  const refusal = frameworkRefusals[error.code]
  if (refusal !== undefined) error = refusal(request)
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
  // A library's own code (or none) is not ours to promise: the status names the kind of refusal.
  const code = error.code?.startsWith('CLV_') ? error.code : `CLV_HTTP_${status}`
  // A problem error adds its members: extension members first, so that none replaces a standard one.
  const { extensions, errors }: ProblemMembers = error instanceof ProblemError ? error.members : {}
  return { ...extensions, ...base, type: problemType(code), code, detail: error.message, ...(errors && { errors }) }
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
