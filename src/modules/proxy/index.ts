import type { FastifyInstance } from 'fastify'
import { proxyContract } from './contract.js'

export default async function proxy (app: FastifyInstance) {
  app.registry.implement(proxyContract, {
    operations: { getProxy: async (_input, context) => app.clients.hello.getService({}, { context }) }
  })
}
