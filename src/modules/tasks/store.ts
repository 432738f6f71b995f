import { and, eq, inArray, sql } from 'drizzle-orm'
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import type { Db } from '../../platform/storage/sqlite.js'
import type { Task, TaskPayload, TaskResult } from './contract.js'

export const tasks = sqliteTable('tasks', {
  id: text('id').primaryKey(),
  payload: text('payload', { mode: 'json' }).$type<TaskPayload>().notNull(),
  state: text('state', { enum: ['waiting', 'active', 'completed', 'failed'] }).notNull(),
  attempts: integer('attempts').notNull().default(0),
  result: text('result', { mode: 'json' }).$type<TaskResult>(),
  error: text('error'),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull()
})

export { outbox, processedEvents } from '../../platform/events/tables.js'

type Row = typeof tasks.$inferSelect

/** A task the work may run on: queued, retrying, or left active by a worker that died. */
const unfinished = inArray(tasks.state, ['waiting', 'active'])

function toTask ({ payload: _payload, result, error, ...row }: Row): Task {
  return { ...row, ...(result ? { result } : {}), ...(error !== null ? { error } : {}) }
}

export function createTaskStore (db: Db) {
  const now = () => new Date().toISOString()

  return {
    /** Runs writes (and the events they publish) in one transaction. */
    atomically<T> (work: () => T): T {
      return db.transaction(work)
    },

    insert (id: string, payload: TaskPayload): void {
      const at = now()
      db.insert(tasks).values({ id, payload, state: 'waiting', createdAt: at, updatedAt: at }).run()
    },

    find (id: string): Task | undefined {
      const row = db.select().from(tasks).where(eq(tasks.id, id)).get()
      return row && toTask(row)
    },

    /** Marks an attempt begun; undefined when the task is already completed or failed (or unknown). */
    start (id: string): { payload: TaskPayload, attempts: number } | undefined {
      return db.update(tasks)
        .set({ state: 'active', attempts: sql`${tasks.attempts} + 1`, updatedAt: now() })
        .where(and(eq(tasks.id, id), unfinished))
        .returning({ payload: tasks.payload, attempts: tasks.attempts })
        .get()
    },

    /** Only the first completion counts: a duplicate run (a lapsed lock) changes nothing. */
    complete (id: string, result: TaskResult): boolean {
      return db.update(tasks).set({ state: 'completed', result, error: null, updatedAt: now() })
        .where(and(eq(tasks.id, id), unfinished)).returning({ id: tasks.id }).get() !== undefined
    },

    /** A failed attempt: back to waiting for the retry, or failed for good. */
    fail (id: string, error: string, final: boolean): void {
      db.update(tasks).set({ state: final ? 'failed' : 'waiting', error, updatedAt: now() })
        .where(and(eq(tasks.id, id), unfinished)).run()
    }
  }
}

export type TaskStore = ReturnType<typeof createTaskStore>
