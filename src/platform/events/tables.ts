import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'

// Platform tables that live in a module's own database. A module that publishes re-exports
// `outbox` from its store.ts, one that subscribes re-exports `processedEvents`, so drizzle-kit
// puts them in that module's migrations.

/** Events written in the same transaction as the change they announce; the relay ships them. */
export const outbox = sqliteTable('outbox', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  payload: text('payload').notNull(),
  createdAt: integer('created_at').notNull(),
  sentAt: integer('sent_at'),
  /**
   * The epoch of the Redis that acknowledged it (null: delivered in-process, or before epochs
   * existed). Sent into an epoch that is gone, it is delivered again.
   */
  sentEpoch: text('sent_epoch'),
  /** The publisher's W3C trace context, so its handlers continue its trace (null: tracing was off). */
  traceparent: text('traceparent'),
  tracestate: text('tracestate')
}, (table) => [index('outbox_pending').on(table.sentAt, table.createdAt)])

/** Event ids a subscriber has handled, so a redelivered event has no second effect. */
export const processedEvents = sqliteTable('processed_events', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  processedAt: integer('processed_at').notNull()
})
