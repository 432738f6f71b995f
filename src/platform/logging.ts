import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import pino, { type Logger } from 'pino'
import fp from 'fastify-plugin'
import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { secretConfigKeys, type Config } from './config.js'
import { serviceTokenHeader } from './service-token.js'

export const requestIdHeader = 'x-request-id'
const acceptableRequestId = /^[\w.:@-]{1,128}$/

// A caller's id is kept so one request can be followed across services; anything odd is replaced.
export function requestIdOf (request: IncomingMessage): string {
  const given = request.headers[requestIdHeader]
  return typeof given === 'string' && acceptableRequestId.test(given) ? given : randomUUID()
}

export function serviceName (config: Config): string {
  return config.SERVICE_NAME ?? `cleave:${config.modules.join('+') || 'platform'}`
}

const secretHeaders = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', serviceTokenHeader]

// Where a header or a secret setting could sit in a logged object: the headers of a request,
// response or error, and config keys (alone or in a config object). Named paths, never a leading
// `*.`: measured, a leading wildcard made pino walk every logged object, ~30 µs a request.
const headerHolders = ['headers', 'req.headers', 'res.headers', 'err.headers', 'request.headers', 'response.headers']
export const redactedPaths = [
  ...secretHeaders.flatMap((name) => headerHolders.map((holder) => `${holder}["${name}"]`)),
  ...secretConfigKeys.flatMap((key) => [key, `config.${key}`])
]

// Asynchronous writes keep logging off the request path; pino flushes them on exit.
export function createLogger (config: Config): Logger {
  return pino({
    level: config.LOG_LEVEL,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    base: { service: serviceName(config) },
    timestamp: pino.stdTimeFunctions.isoTime
  }, pino.destination({ dest: 1, sync: false }))
}

// Fastify writes two lines per request by default; measured, that costs ~44% of a fast
// route's throughput. One line, written once the response has gone, is enough to operate on.
export class AccessLog extends LogController {
  constructor () {
    super({ requestIdLogLabel: 'reqId' })
  }

  override incomingRequest () {}

  override routeNotFound () {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply) {
    if (!error && !(reply.log as Logger).isLevelEnabled('info')) return
    const line = {
      method: request.method,
      url: request.url,
      route: request.routeOptions.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100
    }
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else reply.log.info(line, 'request')
  }
}

async function requestId (app: FastifyInstance) {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(requestIdHeader, request.id)
  })
}

export default fp(requestId, { name: 'request-id' })
