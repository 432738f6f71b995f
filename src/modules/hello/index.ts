import type { FastifyInstance } from 'fastify'
import { helloContract } from './contract.js'

export default async function hello (app: FastifyInstance) {
  app.registry.implement(helloContract, {
    operations: { getService: async () => 'Hello, Microservice!' }
  })
}
