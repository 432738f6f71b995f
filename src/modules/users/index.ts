import type { FastifyInstance } from 'fastify'
import { usersContract } from './contract.js'
import { createUserOperations } from './operations.js'
import { createUserStore } from './store.js'
import { userTables } from './tables.js'

export default async function users (app: FastifyInstance) {
  const store = createUserStore(await app.databases.open(usersContract.module, userTables))
  app.registry.implement(usersContract, { operations: createUserOperations(store, app.events) })
}
