import type { FastifyInstance } from 'fastify'
import { mountOperations } from '../../platform/contracts/mount-operations.js'
import { ordersContract } from './contract.js'
import { createOrderOperations } from './operations.js'
import { createOrderStore } from './store.js'

export default async function orders (app: FastifyInstance) {
  const store = createOrderStore(app.databases.open(ordersContract.module))
  mountOperations(app, ordersContract, createOrderOperations(store, app.clients.users, app.events))
}
