import type { TableKit } from '../storage/table-kit.js'

// Platform tables that live in a module's own database. A module that publishes adds
// `outboxTable(kit)` to its tables, one that subscribes `processedEventsTable(kit)`, so
// drizzle-kit puts them in that module's migrations.

/** Events written in the same transaction as the change they announce; the relay ships them. */
export function outboxTable (kit: TableKit) {
  const outbox = kit.table('outbox', {
    id: kit.text('id').primaryKey(),
    name: kit.text('name').notNull(),
    payload: kit.text('payload').notNull(),
    createdAt: kit.integer('created_at').notNull(),
    sentAt: kit.integer('sent_at'),
    /**
     * Until when the relay of one process owns the row (ms): its writer claims it on insert, and
     * a replica's poll claims unsent rows whose claim lapsed (their relay died with them).
     */
    claimedUntil: kit.integer('claimed_until'),
    /**
     * The epoch of the Redis that acknowledged it (null: delivered in-process, or before epochs
     * existed). Sent into an epoch that is gone, it is delivered again.
     */
    sentEpoch: kit.text('sent_epoch'),
    /** The publisher's W3C trace context, so its handlers continue its trace (null: tracing was off). */
    traceparent: kit.text('traceparent'),
    tracestate: kit.text('tracestate')
  }, (table) => [kit.index('outbox_pending').on(table.sentAt, table.createdAt)])
  return { outbox }
}

/** Event ids a subscriber has handled, so a redelivered event has no second effect. */
export function processedEventsTable (kit: TableKit) {
  const processedEvents = kit.table('processed_events', {
    id: kit.text('id').primaryKey(),
    name: kit.text('name').notNull(),
    processedAt: kit.integer('processed_at').notNull()
  })
  return { processedEvents }
}

export type OutboxTables = ReturnType<typeof outboxTable>
export type ProcessedEventsTables = ReturnType<typeof processedEventsTable>
