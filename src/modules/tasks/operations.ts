import { randomUUID } from 'node:crypto'
import type { Operations } from '../../platform/contracts/define-contract.js'
import type { Events } from '../../platform/events/index.js'
import { TaskNotFound, tasksContract } from './contract.js'
import type { TaskStore } from './store.js'

export function createTaskOperations (store: TaskStore, events: Events): Operations<typeof tasksContract> {
  return {
    // The row and its task.queued event commit together: no task without its job, no job without its task.
    queueTask: async ({ body }, context) => {
      const id = randomUUID()
      await store.atomically(async (tx) => {
        await store.insert(tx, id, body)
        await events.publish(tx, 'task.queued', { id }, context)
      })
      return { status: 'task queued' as const, id }
    },

    getTask: async ({ params }) => {
      const task = await store.find(params.id)
      if (!task) throw new TaskNotFound(params.id)
      return task
    }
  }
}
