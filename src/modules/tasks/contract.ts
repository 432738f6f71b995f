import { Type, type Static } from '@sinclair/typebox'
import { defineContract } from '../../platform/contracts/define-contract.js'
import { createError } from '../../platform/primitives/coded-errors.js'
import { problemResponse } from '../../platform/primitives/problem.js'
import { maxDepth } from '../../platform/http/storable-values.js'

/** Largest POST /async_task body, in bytes; a bigger one is refused with 413. */
export const maxTaskBytes = 64 * 1024

/** Longest failure reason a task keeps (the error message it failed with, cut). */
export const maxErrorLength = 1000

export const TaskNotFound = createError('CLV_TASKS_NOT_FOUND', 'Task %s not found', 404)

const TaskId = Type.String({ format: 'uuid' })

export const TaskPayload = Type.Object({
  delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 30_000, description: 'simulated slow work: the work takes this long (0–30000 ms)' })),
  fail: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'simulated permanent failure: the work throws this message; the task ends failed, not retried' })),
  failAttempts: Type.Optional(Type.Integer({ minimum: 0, maximum: 50, description: 'simulated transient failure: the first n attempts throw and are retried with backoff (JOB_ATTEMPTS in all)' }))
}, {
  additionalProperties: true,
  maxProperties: 1000,
  description: `Any JSON object (at most ${maxTaskBytes / 1024} KiB, nested at most ${maxDepth} levels, as every input). The work computes the sha256 of its canonical JSON (keys sorted, no spaces), its byte length and the words in its string values. Three optional fields steer the work.`
})
export type TaskPayload = Static<typeof TaskPayload>

export const TaskQueuedReply = Type.Object({
  status: Type.Literal('task queued'),
  id: TaskId
})

export const TaskResult = Type.Object({
  checksum: Type.String({ pattern: '^[0-9a-f]{64}$', maxLength: 64, description: 'sha256 (hex) of the payload\'s canonical JSON' }),
  words: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'whitespace-separated words in the payload\'s string values, nested ones included, keys not' }),
  bytes: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'UTF-8 length of the canonical JSON' })
})
export type TaskResult = Static<typeof TaskResult>

export const TaskState = Type.Union([Type.Literal('waiting'), Type.Literal('active'), Type.Literal('completed'), Type.Literal('failed')], {
  description: 'waiting (queued, or retrying after a failed attempt) → active → completed or failed'
})
export type TaskState = Static<typeof TaskState>

export const Task = Type.Object({
  id: TaskId,
  state: TaskState,
  attempts: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'times the work was started, including restarts after a worker died' }),
  result: Type.Optional(TaskResult),
  error: Type.Optional(Type.String({ maxLength: maxErrorLength, description: 'why the last attempt failed (failed tasks, and waiting ones about to be retried)' })),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' })
})
export type Task = Static<typeof Task>

export const TaskQueued = Type.Object({ id: TaskId })

export const tasksContract = defineContract({
  module: 'tasks',
  description: 'Work queued on a JSON object and done by a worker; poll the task for its state and result',
  routes: {
    queueTask: {
      method: 'POST',
      url: '/async_task',
      schema: {
        summary: 'Queue work on a JSON object; follow it at the Location given',
        body: TaskPayload,
        response: {
          202: TaskQueuedReply,
          413: problemResponse(`The body is larger than ${maxTaskBytes / 1024} KiB`)
        }
      },
      location: (queued: Static<typeof TaskQueuedReply>) => `/tasks/${queued.id}`,
      // A task's payload is stored and queued: far smaller bodies than the server's 1 MiB.
      bodyLimit: maxTaskBytes
    },
    getTask: {
      method: 'GET',
      url: '/tasks/:id',
      schema: { summary: 'A queued task: its state and, once completed, its result', params: Type.Object({ id: TaskId }), response: { 200: Task, 404: problemResponse('No task has this id') } }
    }
  },
  errors: { TaskNotFound },
  events: { publishes: { 'task.queued': TaskQueued }, subscribes: ['task.queued'] },
  calls: []
})

declare module '../../platform/clients/index.js' {
  interface ModuleContracts { tasks: typeof tasksContract }
}

declare module '../../platform/events/event.js' {
  interface EventSchemas { 'task.queued': typeof TaskQueued }
}
