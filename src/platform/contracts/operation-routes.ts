import fp from 'fastify-plugin'
import type { FastifyInstance, RouteOptions } from 'fastify'
import { successStatus, type Contract, type RouteDefinition } from './define-contract.js'
import { operationResponses, operationSecurity, type OperationDocsOptions } from './operation-docs.js'

/** A contract route as Fastify takes it, everything but the handler: what validates, serializes and documents it. */
export function operationRoute (contract: Contract, name: string, route: RouteDefinition, docs: OperationDocsOptions): Omit<RouteOptions, 'handler'> {
  return {
    method: route.method,
    url: route.url,
    bodyLimit: route.bodyLimit,
    config: { operation: `${contract.module}.${name}` },
    schema: {
      ...route.schema,
      operationId: `${contract.module}.${name}`,
      tags: [contract.module],
      security: operationSecurity(docs),
      response: operationResponses(route, docs)
    }
  }
}

// Routes are thin adapters: the contract gives the route, the operation does the work. A
// process that serves HTTP registers this after the modules; a worker does not, and keeps
// the operations for local calls only.
async function operationRoutes (app: FastifyInstance) {
  const docs = { serviceAuth: app.serviceTokens !== undefined, bodyLimit: app.config.BODY_LIMIT_BYTES }
  for (const { contract, operations } of app.registry.implemented.values()) {
    for (const [name, route] of Object.entries(contract.routes)) {
      const operation = operations[name]
      const status = successStatus(route)
      const { location } = route
      app.route({
        ...operationRoute(contract, name, route, docs),
        handler: async (request, reply) => {
          const result = await operation({ params: request.params, query: request.query, body: request.body }, request)
          reply.code(status)
          if (location) reply.header('location', location(result))
          return status === 204 ? reply.send() : result
        }
      })
    }
  }
}

export default fp(operationRoutes, { name: 'operation-routes', dependencies: ['registry', 'service-auth'] })
