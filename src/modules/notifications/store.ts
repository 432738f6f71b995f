import { and, asc, eq, gt, type SQL } from 'drizzle-orm'
import type { Db, ModuleDatabase } from '../../platform/storage/database.js'
import type { Notification } from './contract.js'
import type { notificationTables } from './tables.js'

export function createNotificationStore ({ db, tables: { notifications } }: ModuleDatabase<typeof notificationTables.postgres>) {
  return {
    async record (tx: Db, { userId, kind, message, eventId }: Omit<Notification, 'id' | 'createdAt'>): Promise<void> {
      await tx.insert(notifications).values({ userId, kind, message, eventId, createdAt: new Date().toISOString() }).onConflictDoNothing()
    },

    list (filter: { userId?: number, after: number, limit: number }): Promise<Notification[]> {
      const conditions: SQL[] = [gt(notifications.id, filter.after)]
      if (filter.userId !== undefined) conditions.push(eq(notifications.userId, filter.userId))
      return db.select().from(notifications).where(and(...conditions)).orderBy(asc(notifications.id)).limit(filter.limit)
    }
  }
}

export type NotificationStore = ReturnType<typeof createNotificationStore>
