import type { FastifyInstance } from 'fastify'
import { mountOperations } from '../../platform/contracts/mount-operations.js'
import { proxyContract } from './contract.js'

export default async function proxy (app: FastifyInstance) {
  mountOperations(app, proxyContract, {
    getProxy: async (_input, context) => app.clients.hello.getService({}, { context })
  })
}
