import { eq, gt } from 'drizzle-orm'
import type { Db, ModuleDatabase } from '../../platform/storage/database.js'
import { isUniqueViolation } from '../../platform/storage/errors.js'
import type { NewUser, User, UserChanges } from './contract.js'
import { emailIndex, type userTables } from './tables.js'

export class DuplicateEmail extends Error {}

function rethrowDuplicate (error: unknown): never {
  throw isUniqueViolation(error, emailIndex) ? new DuplicateEmail() : error
}

export function createUserStore ({ db, tables: { users }, atomically }: ModuleDatabase<typeof userTables.postgres>) {
  return {
    /** Runs writes (and the events they publish) in one transaction. */
    atomically,

    async findById (id: number): Promise<User | undefined> {
      const [user] = await db.select().from(users).where(eq(users.id, id))
      return user
    },

    list (after: number, limit: number): Promise<User[]> {
      return db.select().from(users).where(gt(users.id, after)).orderBy(users.id).limit(limit)
    },

    async insert (tx: Db, user: NewUser): Promise<User> {
      const [row] = await tx.insert(users).values({ name: user.name, email: user.email, createdAt: new Date().toISOString() }).returning().catch(rethrowDuplicate)
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
