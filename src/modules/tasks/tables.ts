import { outboxTable, processedEventsTable } from '../../platform/events/tables.js'
import { defineTables } from '../../platform/storage/table-kit.js'
import type { TaskPayload, TaskResult } from './contract.js'

export const taskTables = defineTables((kit) => ({
  tasks: kit.table('tasks', {
    id: kit.text('id').primaryKey(),
    payload: kit.json('payload').$type<TaskPayload>().notNull(),
    state: kit.text('state', { enum: ['waiting', 'active', 'completed', 'failed'] }).notNull(),
    attempts: kit.integer('attempts').notNull().default(0),
    result: kit.json('result').$type<TaskResult>(),
    error: kit.text('error'),
    createdAt: kit.text('created_at').notNull(),
    updatedAt: kit.text('updated_at').notNull()
  }),
  ...outboxTable(kit),
  ...processedEventsTable(kit)
}))
