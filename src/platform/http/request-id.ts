import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

export const requestIdHeader = 'x-request-id'
const acceptableRequestId = /^[\w.:@-]{1,128}$/

// A caller's id is kept so one request can be followed across services; anything odd is replaced.
export function requestIdOf (request: IncomingMessage): string {
  const given = request.headers[requestIdHeader]
  return typeof given === 'string' && acceptableRequestId.test(given) ? given : randomUUID()
}

async function requestId (app: FastifyInstance) {
  // A callback hook: an async one costs a promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(requestIdHeader, request.id)
    done()
  })
}

export default fp(requestId, { name: 'request-id' })
