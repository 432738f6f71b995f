import type { EventHandlers } from '../../platform/events/event.js'
import type { TaskResult } from './contract.js'
import type { TaskStore } from './store.js'
import { PermanentTaskFailure, performTask } from './work.js'

// Runs wherever the tasks queue is consumed: this server, a worker process, or in-process
// without Redis. The row tells the story; the platform's retries and backoff drive it.
export function createTaskHandlers (store: TaskStore, { attempts }: { attempts: number }): EventHandlers<'task.queued'> {
  return {
    // Logged through the event's context: each line carries the trace of the request that queued it.
    'task.queued': async ({ id }, event) => {
      const { log } = event.context
      const started = await store.start(id)
      if (!started) {
        // Redelivered after it finished: nothing more to do. Unknown: nothing can ever be done.
        if (await store.find(id)) return
        throw new PermanentTaskFailure(`task ${id} is not in the tasks database`)
      }
      log.info({ taskId: id, attempt: started.attempts }, 'task started')
      let result: TaskResult
      try {
        result = await performTask(started.payload, started.attempts)
      } catch (error) {
        const final = error instanceof PermanentTaskFailure || event.attempt >= attempts
        await store.fail(id, (error as Error).message, final)
        log.warn({ taskId: id, attempt: started.attempts, final, err: (error as Error).message }, final ? 'task failed' : 'task attempt failed; it will be retried')
        throw error
      }
      if (await event.atomically((tx) => store.complete(tx, id, result))) log.info({ taskId: id, attempts: started.attempts }, 'task completed')
    }
  }
}
