import type { FastifyInstance } from 'fastify'
import { mountOperations } from '../../platform/contracts/mount-operations.js'
import { helloContract } from './contract.js'

export default async function hello (app: FastifyInstance) {
  mountOperations(app, helloContract, {
    getService: async () => 'Hello, Microservice!'
  })
}
