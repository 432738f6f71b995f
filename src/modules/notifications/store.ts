import { and, asc, eq, gt, type SQL } from 'drizzle-orm'
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import type { Db } from '../../platform/storage/sqlite.js'
import type { Notification } from './contract.js'

export { processedEvents } from '../../platform/events/tables.js'

export const notifications = sqliteTable('notifications', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  userId: integer('user_id').notNull(),
  kind: text('kind', { enum: ['welcome', 'order-confirmation'] }).notNull(),
  message: text('message').notNull(),
  // One notification per event, whatever the delivery count.
  eventId: text('event_id').notNull().unique(),
  createdAt: text('created_at').notNull()
})

export function createNotificationStore (db: Db) {
  return {
    record ({ userId, kind, message, eventId }: Omit<Notification, 'id' | 'createdAt'>): void {
      db.insert(notifications).values({ userId, kind, message, eventId, createdAt: new Date().toISOString() }).onConflictDoNothing().run()
    },

    list (filter: { userId?: number, after: number, limit: number }): Notification[] {
      const conditions: SQL[] = [gt(notifications.id, filter.after)]
      if (filter.userId !== undefined) conditions.push(eq(notifications.userId, filter.userId))
      return db.select().from(notifications).where(and(...conditions)).orderBy(asc(notifications.id)).limit(filter.limit).all()
    }
  }
}

export type NotificationStore = ReturnType<typeof createNotificationStore>
