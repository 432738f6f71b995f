import type { ServerOptions } from 'node:http'
import type { Config } from '../config.js'

/** Fastify options: its own requestTimeout, and `http`, passed to http.createServer. */
interface TimeoutOptions { requestTimeout: number, http: ServerOptions }

// Fastify's requestTimeout of 0 switches off Node's own (5 minutes), which let a client trickling a
// body hold its connection for as long as it liked. Node 20 then needs two more settings for the
// deadline to hold as configured:
// - headersTimeout no longer than requestTimeout: with its default of 60 s above a shorter request
//   timeout, a slow body was cut only at 60 s (measured on 20.20). One deadline covers both here:
//   headers are part of the request.
// - connectionsCheckingInterval: deadlines are checked on a timer (every 30 s by default), so a
//   30 s timeout could let a request run for nearly 60 s. A fifth of the timeout, at most 1 s, keeps
//   the overrun small; each check walks only the connections with a request under way.
export function requestTimeouts (config: Pick<Config, 'REQUEST_TIMEOUT_MS'>): TimeoutOptions {
  const timeout = config.REQUEST_TIMEOUT_MS
  return {
    requestTimeout: timeout,
    // requestTimeout in both: Node checks headersTimeout against the one it is constructed with.
    http: { requestTimeout: timeout, headersTimeout: timeout, connectionsCheckingInterval: Math.min(1000, Math.ceil(timeout / 5)) }
  }
}
