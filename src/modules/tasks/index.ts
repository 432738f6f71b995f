import type { FastifyInstance } from 'fastify'
import { mountOperations } from '../../platform/contracts/mount-operations.js'
import { maxTaskBytes, tasksContract } from './contract.js'
import { createTaskHandlers } from './events.js'
import { createTaskOperations } from './operations.js'
import { createTaskStore } from './store.js'

export default async function tasks (app: FastifyInstance) {
  const store = createTaskStore(app.databases.open(tasksContract.module))
  // A task's payload is stored and queued: this module takes far smaller bodies than the server's 1 MiB.
  app.addHook('onRoute', (route) => { route.bodyLimit ??= maxTaskBytes })
  mountOperations(app, tasksContract, createTaskOperations(store, app.events))
  app.events.handle(tasksContract, createTaskHandlers(store, { attempts: app.config.JOB_ATTEMPTS }))
}
