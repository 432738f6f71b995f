import type { Logger } from 'pino'
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

// Fastify writes two lines per request by default, a large share of a fast route's cost
// (bench/README.md); one line, written once the response has gone, is enough to operate on.
export class AccessLog extends LogController {
  constructor () {
    super({ requestIdLogLabel: 'reqId' })
  }

  override incomingRequest () {}

  override routeNotFound () {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply) {
    // Liveness is asked every second by each process that calls this one (health checks) and by
    // the orchestrator: its answers are written at debug, not in the access log at info.
    const level = request.routeOptions.url === '/health/live' ? 'debug' : 'info'
    if (!error && !(reply.log as Logger).isLevelEnabled(level)) return
    const line = {
      method: request.method,
      url: request.url,
      route: request.routeOptions.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100
    }
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else reply.log[level](line, 'request')
  }
}
