import { processedEventsTable } from '../../platform/events/tables.js'
import { defineTables } from '../../platform/storage/table-kit.js'

export const notificationTables = defineTables((kit) => ({
  notifications: kit.table('notifications', {
    id: kit.id('id'),
    userId: kit.integer('user_id').notNull(),
    kind: kit.text('kind', { enum: ['welcome', 'order-confirmation', 'shipping'] }).notNull(),
    message: kit.text('message').notNull(),
    // One notification per event, whatever the delivery count.
    eventId: kit.text('event_id').notNull().unique(),
    createdAt: kit.text('created_at').notNull()
  }),
  ...processedEventsTable(kit)
}))
