import { and, eq, inArray, sql } from 'drizzle-orm'
import type { Db, ModuleDatabase } from '../../platform/storage/database.js'
import { storableText } from '../../platform/storage/storable-text.js'
import { maxErrorLength, type Task, type TaskPayload, type TaskResult } from './contract.js'
import type { taskTables } from './tables.js'

type Tables = typeof taskTables.postgres
type Row = Tables['tasks']['$inferSelect']

function toTask ({ payload: _payload, result, error, ...row }: Row): Task {
  return { ...row, ...(result ? { result } : {}), ...(error !== null ? { error } : {}) }
}

export function createTaskStore ({ db, tables: { tasks }, atomically }: ModuleDatabase<Tables>) {
  const now = () => new Date().toISOString()
  /** A task the work may run on: queued, retrying, or left active by a worker that died. */
  const unfinished = inArray(tasks.state, ['waiting', 'active'])
  // Compiled once: a task is read on every poll of GET /tasks/:id.
  const byId = db.select().from(tasks).where(eq(tasks.id, sql.placeholder('id'))).prepare('tasks_by_id')

  return {
    /** Runs writes (and the events they publish) in one transaction. */
    atomically,

    async insert (tx: Db, id: string, payload: TaskPayload): Promise<void> {
      const at = now()
      await tx.insert(tasks).values({ id, payload, state: 'waiting', createdAt: at, updatedAt: at })
    },

    async find (id: string): Promise<Task | undefined> {
      const [row] = await byId.execute({ id })
      return row && toTask(row)
    },

    /** Marks an attempt begun; undefined when the task is already completed or failed (or unknown). */
    async start (id: string): Promise<{ payload: TaskPayload, attempts: number } | undefined> {
      const [started] = await atomically((tx) => tx.update(tasks)
        .set({ state: 'active', attempts: sql`${tasks.attempts} + 1`, updatedAt: now() })
        .where(and(eq(tasks.id, id), unfinished))
        .returning({ payload: tasks.payload, attempts: tasks.attempts }))
      return started
    },

    /** Only the first completion counts: a duplicate run (a lapsed lock) changes nothing. */
    async complete (tx: Db, id: string, result: TaskResult): Promise<boolean> {
      const completed = await tx.update(tasks).set({ state: 'completed', result, error: null, updatedAt: now() })
        .where(and(eq(tasks.id, id), unfinished)).returning({ id: tasks.id })
      return completed.length > 0
    },

    /**
     * A failed attempt: back to waiting for the retry, or failed for good. The reason is made
     * storable, so no message can keep the task from reaching its state.
     */
    async fail (id: string, error: string, final: boolean): Promise<void> {
      await atomically((tx) => tx.update(tasks).set({ state: final ? 'failed' : 'waiting', error: storableText(error, maxErrorLength), updatedAt: now() })
        .where(and(eq(tasks.id, id), unfinished)))
    }
  }
}

export type TaskStore = ReturnType<typeof createTaskStore>
