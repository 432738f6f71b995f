import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { successStatus } from './define-contract.js'
import { problemResponse } from '../http/problem.js'

const commonProblems = {
  400: problemResponse('The request is malformed or fails validation'),
  500: problemResponse('Unexpected failure; details are in the server log')
}

// Routes are thin adapters: the contract gives the route, the operation does the work. A
// process that serves HTTP registers this after the modules; a worker does not, and keeps
// the operations for local calls only.
async function operationRoutes (app: FastifyInstance) {
  for (const { contract, operations } of app.registry.implemented.values()) {
    for (const [name, route] of Object.entries(contract.routes)) {
      const operation = operations[name]
      const status = successStatus(route)
      const { location } = route
      app.route({
        method: route.method,
        url: route.url,
        bodyLimit: route.bodyLimit,
        config: { operation: `${contract.module}.${name}` },
        schema: {
          ...route.schema,
          operationId: `${contract.module}.${name}`,
          tags: [contract.module],
          response: { ...commonProblems, ...route.schema.response }
        },
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

export default fp(operationRoutes, { name: 'operation-routes', dependencies: ['registry'] })
