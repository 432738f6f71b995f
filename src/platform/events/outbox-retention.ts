import type { Db } from '../storage/sqlite.js'

export interface OutboxPruner {
  /** Deletes up to one batch of rows sent before `now - retentionMs`; returns how many it deleted. */
  prune (now?: number): number
}

// Sent rows are kept for a while only so that events a lost Redis held can be delivered again.
// A batch at a time through the (sent_at, created_at) index: a long backlog never holds the
// write lock for long. Pending rows (sent_at null) are never touched.
export function createOutboxPruner (db: Db, { retentionMs, batch = 5000 }: { retentionMs: number, batch?: number }): OutboxPruner {
  const remove = db.$client.prepare('delete from outbox where rowid in (select rowid from outbox where sent_at is not null and sent_at < ? limit ?)')
  return {
    prune (now = Date.now()) {
      return remove.run(now - retentionMs, batch).changes
    }
  }
}
