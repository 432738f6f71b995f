// Helmet's response headers on everything this process serves. The API answers JSON, so the strict
// defaults cost nothing; the two HTML pages (Swagger UI at /docs, Bull Board) load only their own
// scripts, which helmet's default Content-Security-Policy allows.
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'

// Cleave listens on plain HTTP inside a deployment (TLS ends at the load balancer or ingress);
// `upgrade-insecure-requests` would send a page reached over http:// for its assets over https://.
export const helmetOptions: HelmetOptions = { contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }

// The headers helmet sets for these options, worked out once: @fastify/helmet builds the middleware
// again for every request (CSP parsed each time, two hooks), and the headers do not depend on it.
export function helmetHeaders (options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const response = {
    setHeader (name: string, value: string) { headers[name.toLowerCase()] = value },
    removeHeader () {}
  }
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, () => {})
  return headers
}

async function securityHeaders (app: FastifyInstance) {
  const headers = helmetHeaders(helmetOptions)
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers)
    done()
  })
}

export default fp(securityHeaders, { name: 'security-headers' })
