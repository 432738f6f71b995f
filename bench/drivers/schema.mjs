import { pgTable, integer, text } from 'drizzle-orm/pg-core'
// Unqualified table; resolved through search_path=users set on the connection.
export const users = pgTable('users', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  name: text('name').notNull(),
  email: text('email').notNull(),
  createdAt: text('created_at').notNull(),
})
