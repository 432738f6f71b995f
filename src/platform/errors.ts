import createError from '@fastify/error'
import fp from 'fastify-plugin'
import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
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
