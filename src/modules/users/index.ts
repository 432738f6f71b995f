import type { FastifyInstance } from 'fastify'
import { usersContract } from './contract.js'
import { createUserOperations } from './operations.js'
import { createUserStore } from './store.js'

export default async function users (app: FastifyInstance) {
  const store = createUserStore(app.databases.open(usersContract.module))
  app.registry.implement(usersContract, { operations: createUserOperations(store, app.events) })
}
