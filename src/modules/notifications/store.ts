import { and, asc, eq, gt, sql } from 'drizzle-orm'
import type { Db, ModuleDatabase } from '../../platform/storage/database.js'
import type { Notification } from './contract.js'
import type { notificationTables } from './tables.js'

export function createNotificationStore ({ db, tables: { notifications }, prepareWrite }: ModuleDatabase<typeof notificationTables.postgres>) {
  // Compiled once: one is written for every user created and order placed, and listed on every poll.
  const insert = prepareWrite('notifications_record', (tx) => tx.insert(notifications).values({
    userId: sql.placeholder('userId'),
    kind: sql.placeholder('kind'),
    message: sql.placeholder('message'),
    eventId: sql.placeholder('eventId'),
    createdAt: sql.placeholder('createdAt')
  }).onConflictDoNothing())
  const after = gt(notifications.id, sql.placeholder('after'))
  const page = db.select().from(notifications).where(after)
    .orderBy(asc(notifications.id)).limit(sql.placeholder('limit')).prepare('notifications_page')
  const pageOfUser = db.select().from(notifications).where(and(after, eq(notifications.userId, sql.placeholder('userId'))))
    .orderBy(asc(notifications.id)).limit(sql.placeholder('limit')).prepare('notifications_page_of_user')

  return {
    async record (tx: Db, { userId, kind, message, eventId }: Omit<Notification, 'id' | 'createdAt'>): Promise<void> {
      await insert(tx, { userId, kind, message, eventId, createdAt: new Date().toISOString() })
    },

    list ({ userId, after, limit }: { userId?: number, after: number, limit: number }): Promise<Notification[]> {
      return userId === undefined ? page.execute({ after, limit }) : pageOfUser.execute({ after, limit, userId })
    }
  }
}

export type NotificationStore = ReturnType<typeof createNotificationStore>
