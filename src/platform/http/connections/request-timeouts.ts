import type { ServerOptions } from 'node:http'
import type { Config } from '../../config/config.js'

/** Fastify options: its own requestTimeout, and `http`, passed to http.createServer. */
interface TimeoutOptions { requestTimeout: number, http: ServerOptions }

// Fastify's requestTimeout of 0 switches off Node's own (5 minutes), which let a client trickling a
// body hold its connection for as long as it liked. Node 20 needs the timeout in two places, and
// one more setting, for the deadline to hold as configured:
// - in http.createServer's options too, not only set afterwards as Fastify does: Node derives
//   headersTimeout from it there (the lesser of 60 s and requestTimeout), and a headersTimeout above
//   requestTimeout is the deadline that holds (set afterwards, a 500 ms request timeout cut a slow
//   body only at the 60 s header deadline).
// - connectionsCheckingInterval: deadlines are checked on a timer (every 30 s by default), so a
//   30 s timeout could let a request run for nearly 60 s. A fifth of the timeout, at most 1 s, keeps
//   the overrun small; each check walks only the connections with a request under way.
export function requestTimeouts (config: Pick<Config, 'REQUEST_TIMEOUT_MS'>): TimeoutOptions {
  const timeout = config.REQUEST_TIMEOUT_MS
  return {
    requestTimeout: timeout,
    http: { requestTimeout: timeout, connectionsCheckingInterval: Math.min(1000, Math.ceil(timeout / 5)) }
  }
}
