import type { FastifyInstance } from 'fastify'
import { successStatus, type Contract, type Operations } from './define-contract.js'
import { problemResponse } from '../http/problem.js'

const commonProblems = {
  400: problemResponse('The request is malformed or fails validation'),
  500: problemResponse('Unexpected failure; details are in the server log')
}

// Routes are thin adapters: the contract gives the route, the operation does the work.
// A worker (app.operationRoutes false) keeps the operations, for local calls, but serves no routes.
export function mountOperations<C extends Contract> (app: FastifyInstance, contract: C, operations: Operations<C>): void {
  app.localOperations.set(contract.module, operations as never)
  if (!app.operationRoutes) return
  for (const [name, route] of Object.entries(contract.routes)) {
    const operation = operations[name] as (input: unknown, context: unknown) => Promise<unknown>
    const status = successStatus(route)
    const { location } = route
    app.route({
      method: route.method,
      url: route.url,
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
