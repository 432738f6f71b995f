import { eq, gt, sql } from 'drizzle-orm'
import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import type { Db } from '../../platform/storage/sqlite.js'
import type { NewUser, User, UserChanges } from './contract.js'

export const users = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
  email: text('email').notNull(),
  createdAt: text('created_at').notNull()
}, (table) => [
  // Emails are ASCII (the contract's format), so SQLite's lower() makes uniqueness case-insensitive.
  uniqueIndex('users_email_lower_unique').on(sql`lower(${table.email})`)
])

export { outbox } from '../../platform/events/tables.js'

export class DuplicateEmail extends Error {}

function isUniqueViolation (error: unknown): boolean {
  for (let cause = error as { code?: string, cause?: unknown } | undefined; cause; cause = cause.cause as typeof cause) {
    if (cause.code === 'SQLITE_CONSTRAINT_UNIQUE') return true
  }
  return false
}

function rethrowDuplicate (error: unknown): never {
  throw isUniqueViolation(error) ? new DuplicateEmail() : error
}

export function createUserStore (db: Db) {
  const byId = db.select().from(users).where(eq(users.id, sql.placeholder('id'))).prepare()
  const page = db.select().from(users).where(gt(users.id, sql.placeholder('after')))
    .orderBy(users.id).limit(sql.placeholder('limit')).prepare()

  return {
    /** Runs writes (and the events they publish) in one transaction. */
    atomically<T> (work: () => T): T {
      return db.transaction(work)
    },

    findById (id: number): User | undefined {
      return byId.get({ id })
    },

    list (after: number, limit: number): User[] {
      return page.all({ after, limit })
    },

    insert (user: NewUser): User {
      try {
        return db.insert(users).values({ name: user.name, email: user.email, createdAt: new Date().toISOString() }).returning().get()
      } catch (error) {
        return rethrowDuplicate(error)
      }
    },

    update (id: number, changes: UserChanges): User | undefined {
      try {
        return db.update(users).set({ name: changes.name, email: changes.email }).where(eq(users.id, id)).returning().get()
      } catch (error) {
        return rethrowDuplicate(error)
      }
    },

    remove (id: number): boolean {
      return db.delete(users).where(eq(users.id, id)).returning({ id: users.id }).get() !== undefined
    }
  }
}

export type UserStore = ReturnType<typeof createUserStore>
