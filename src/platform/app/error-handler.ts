// The root error handler: every error a route or hook throws becomes problem+json. It is the
// one place that knows a storage error from any other, so it sits where the concerns meet.
import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance } from 'fastify'
import { Problem, sendProblem } from '../primitives/problem.js'
import { RouteNotFound, toProblem } from '../http/errors.js'
import { DatabaseBusy, DatabaseUnavailable, isDatabaseBusy, isDatabaseUnavailable } from '../storage/errors.js'

// A lost or unreachable database is a dependency that is down, not a fault of ours.
function storageRefusal (error: FastifyError): FastifyError {
  if (error.statusCode !== undefined) return error
  if (isDatabaseUnavailable(error)) return new DatabaseUnavailable()
  if (isDatabaseBusy(error)) return new DatabaseBusy()
  return error
}

// Conditions that pass on their own: a client may send the same request again after a second.
const retryable = new Set(['CLV_DATABASE_BUSY', 'CLV_DATABASE_UNAVAILABLE'])

async function errorHandler (app: FastifyInstance) {
  app.addSchema(Problem)

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toProblem(storageRefusal(error), request)
    // Only the unexpected needs its stack; a coded 5xx (a dependency down) is already explained.
    if (problem.code === 'CLV_INTERNAL') request.log.error({ err: error }, 'request failed')
    else if (problem.status >= 500) request.log.warn({ code: problem.code, detail: problem.detail }, 'request failed')
    else request.log.debug({ err: error }, 'request rejected')
    if (retryable.has(problem.code)) reply.header('retry-after', '1')
    return sendProblem(reply, problem)
  })

  app.setNotFoundHandler((request, reply) => {
    const error = new RouteNotFound(request.method, request.url.split('?')[0])
    return sendProblem(reply, toProblem(error, request))
  })
}

export default fp(errorHandler, { name: 'errors' })
