import { sql } from 'drizzle-orm'
import { outboxTable } from '../../platform/events/tables.js'
import { defineTables } from '../../platform/storage/table-kit.js'

/** The index that keeps emails unique whatever their case: a violation of it is a taken email. */
export const emailIndex = 'users_email_lower_unique'

export const userTables = defineTables((kit) => ({
  users: kit.table('users', {
    id: kit.id('id'),
    name: kit.text('name').notNull(),
    email: kit.text('email').notNull(),
    createdAt: kit.text('created_at').notNull()
  }, (table) => [
    // Emails are ASCII (the contract's format), so lower() makes uniqueness case-insensitive on both dialects.
    kit.uniqueIndex(emailIndex).on(sql`lower(${table.email})`)
  ]),
  ...outboxTable(kit)
}))
