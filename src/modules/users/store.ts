import { eq, gt, sql } from 'drizzle-orm'
import type { Db, ModuleDatabase } from '../../platform/storage/database.js'
import { isUniqueViolation } from '../../platform/storage/errors.js'
import type { NewUser, User, UserChanges } from './contract.js'
import { emailIndex, type userTables } from './tables.js'

export class DuplicateEmail extends Error {}

function rethrowDuplicate (error: unknown): never {
  throw isUniqueViolation(error, emailIndex) ? new DuplicateEmail() : error
}

export function createUserStore ({ db, tables: { users }, atomically, prepareWrite }: ModuleDatabase<typeof userTables.postgres>) {
  // Compiled once: these run on every request that reads or creates a user.
  const byId = db.select().from(users).where(eq(users.id, sql.placeholder('id'))).prepare('users_by_id')
  const page = db.select().from(users).where(gt(users.id, sql.placeholder('after'))).orderBy(users.id).limit(sql.placeholder('limit')).prepare('users_page')
  const insert = prepareWrite('users_insert', (tx) => tx.insert(users).values({ name: sql.placeholder('name'), email: sql.placeholder('email'), createdAt: sql.placeholder('createdAt') }).returning())

  return {
    /** Runs writes (and the events they publish) in one transaction. */
    atomically,

    async findById (id: number): Promise<User | undefined> {
      const [user] = await byId.execute({ id })
      return user
    },

    list (after: number, limit: number): Promise<User[]> {
      return page.execute({ after, limit })
    },

    async insert (tx: Db, user: NewUser): Promise<User> {
      const [row] = await insert(tx, { name: user.name, email: user.email, createdAt: new Date().toISOString() }).catch(rethrowDuplicate)
      return row!
    },

    async update (id: number, changes: UserChanges): Promise<User | undefined> {
      const [row] = await atomically((tx) => tx.update(users).set({ name: changes.name, email: changes.email }).where(eq(users.id, id)).returning()).catch(rethrowDuplicate)
      return row
    },

    async remove (tx: Db, id: number): Promise<boolean> {
      const removed = await tx.delete(users).where(eq(users.id, id)).returning({ id: users.id })
      return removed.length > 0
    }
  }
}

export type UserStore = ReturnType<typeof createUserStore>
