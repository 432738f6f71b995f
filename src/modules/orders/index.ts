import type { FastifyInstance } from 'fastify'
import { ordersContract } from './contract.js'
import { orderTables } from './tables.js'
import { createOrderOperations } from './operations.js'
import { createOrderStore } from './store.js'

export default async function orders (app: FastifyInstance) {
  const store = createOrderStore(await app.databases.open(ordersContract.module, orderTables))
  app.registry.implement(ordersContract, { operations: createOrderOperations(store, app.clients.users, app.events) })
}
