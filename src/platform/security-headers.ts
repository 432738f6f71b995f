// Helmet's response headers on everything this process serves. The API answers JSON, so the strict
// defaults cost nothing; the two HTML pages (Swagger UI at /docs, Bull Board) load only their own
// scripts, which helmet's default Content-Security-Policy allows.
import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'

// Cleave listens on plain HTTP inside a deployment (TLS ends at the load balancer or ingress);
// `upgrade-insecure-requests` would send a page reached over http:// for its assets over https://.
export const contentSecurityPolicy = { directives: { upgradeInsecureRequests: null } }

async function securityHeaders (app: FastifyInstance) {
  await app.register(helmet, { contentSecurityPolicy })
}

export default fp(securityHeaders, { name: 'security-headers' })
