import type { FastifyInstance } from 'fastify'
import { mountOperations } from '../../platform/contracts/mount-operations.js'
import { usersContract } from './contract.js'
import { createUserOperations } from './operations.js'
import { createUserStore } from './store.js'

export default async function users (app: FastifyInstance) {
  const store = createUserStore(app.databases.open(usersContract.module))
  mountOperations(app, usersContract, createUserOperations(store, app.events))
}
