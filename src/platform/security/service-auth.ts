// With SERVICE_SECRET set, module routes answer only calls signed by another Cleave process (the
// gateway or a module client); /health, /metrics and /docs stay open for probes and scrapers.
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler, preValidationHookHandler } from 'fastify'
import { createError } from '../primitives/coded-errors.js'
import { addRouteHook } from '../primitives/route-hooks.js'
import { serviceName } from '../config/service-name.js'
import { createServiceTokens, parseSecrets, type ServiceTokens, type TokenFailure } from './service-token.js'
import { serviceTokenHeader } from '../primitives/header-names.js'

const ServiceTokenMissing = createError('CLV_SERVICE_TOKEN_MISSING', `This route takes calls from Cleave services only: the ${serviceTokenHeader} header is missing`, 401)
const failures: Record<TokenFailure, ReturnType<typeof createError>> = {
  malformed: createError('CLV_SERVICE_TOKEN_MALFORMED', 'The service token is not in a known format', 401),
  invalid: createError('CLV_SERVICE_TOKEN_INVALID', 'The service token is not valid for this request', 401),
  expired: createError('CLV_SERVICE_TOKEN_EXPIRED', 'The service token has expired', 401),
  future: createError('CLV_SERVICE_TOKEN_NOT_YET_VALID', 'The service token expires too far in the future; check the clocks', 401)
}
const BodyNotSigned = createError('CLV_SERVICE_TOKEN_INVALID', 'The service token was not signed for this body', 401)

declare module 'fastify' {
  interface FastifyInstance {
    /** Signs outgoing calls to other services; undefined when SERVICE_SECRET is not set. */
    serviceTokens: ServiceTokens | undefined
  }
  interface FastifyRequest {
    /** The issuer of a verified service token: this request came from another Cleave process. */
    serviceCaller: string | undefined
    /** The body digest the verified token names, checked once the body has arrived. */
    signedBodyDigest: string | undefined
    /** The digest of the body as received (json-body.ts), for a request that carries a token. */
    bodyDigest: string | undefined
  }
  interface FastifyContextConfig {
    /** Set by operation-routes.ts on the routes it creates: `<module>.<operation>`. */
    operation?: string
  }
}

function serviceAuthHook (tokens: ServiceTokens, module: string): onRequestAsyncHookHandler {
  return async function requireServiceToken (request: FastifyRequest) {
    const token = request.headers[serviceTokenHeader]
    if (typeof token !== 'string' || token === '') throw new ServiceTokenMissing()
    const result = tokens.verify(token, { method: request.method, target: request.url, module })
    if (!result.ok) throw new failures[result.reason]()
    request.serviceCaller = result.issuer
    request.signedBodyDigest = result.bodyDigest
    // The edge (gateway) already counted this request against its client; counting it again
    // here would put every client behind the gateway in one bucket.
    request.rateLimitExempt = true
  }
}

// The body is read after onRequest: the token names its digest, compared here once it is in
// (json-body.ts digests it; no body at all is the empty digest).
const requireSignedBody: preValidationHookHandler = function (request, _reply, done) {
  done((request.bodyDigest ?? '') === request.signedBodyDigest ? undefined : new BodyNotSigned())
}

async function serviceAuth (app: FastifyInstance) {
  const { config } = app
  app.decorateRequest('serviceCaller', undefined)
  app.decorateRequest('signedBodyDigest', undefined)
  app.decorateRequest('bodyDigest', undefined)
  const times = { lifetimeMs: config.SIGNED_CALL_LIFETIME_MS, skewMs: config.SIGNED_CALL_SKEW_MS }
  const tokens = config.SERVICE_SECRET ? createServiceTokens(parseSecrets(config.SERVICE_SECRET), serviceName(config), times) : undefined
  app.decorate('serviceTokens', tokens)

  if (!tokens) {
    if (config.DISCOVERY === 'redis' || Object.keys(config.services).length > 0) {
      app.log.warn('SERVICE_SECRET is not set: calls between services are not signed, and module routes accept calls from anyone who can reach them')
    }
    return
  }
  // No hook at all without a secret: an open process pays nothing for this.
  app.addHook('onRoute', (route) => {
    const operation = route.config?.operation
    if (operation === undefined) return
    addRouteHook(route, 'onRequest', serviceAuthHook(tokens, operation.slice(0, operation.indexOf('.'))))
    addRouteHook(route, 'preValidation', requireSignedBody)
  })
}

export default fp(serviceAuth, { name: 'service-auth', dependencies: ['config'] })
