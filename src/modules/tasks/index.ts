import type { FastifyInstance } from 'fastify'
import { tasksContract } from './contract.js'
import { taskTables } from './tables.js'
import { createTaskHandlers } from './events.js'
import { createTaskOperations } from './operations.js'
import { createTaskStore } from './store.js'

export default async function tasks (app: FastifyInstance) {
  const store = createTaskStore(await app.databases.open(tasksContract.module, taskTables))
  app.registry.implement(tasksContract, {
    operations: createTaskOperations(store, app.events),
    handlers: createTaskHandlers(store, { attempts: app.config.JOB_ATTEMPTS })
  })
}
