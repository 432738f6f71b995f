import { and, isNotNull, lt, inArray } from 'drizzle-orm'
import type { FastifyBaseLogger } from 'fastify'
import type { ModuleDatabase } from '../storage/database.js'
import type { OutboxTables } from './tables.js'

export interface OutboxPruner {
  /** Deletes up to one batch of rows sent before `now - retentionMs`; resolves to how many it deleted. */
  prune (now?: number): Promise<number>
}

// Sent rows are kept for a while only so that events a lost Redis held can be delivered again.
// A batch at a time through the (sent_at, created_at) index: a long backlog never holds the
// write lock for long. Pending rows (sent_at null) are never touched.
export function createOutboxPruner ({ db, tables: { outbox }, atomically }: ModuleDatabase<OutboxTables>, { retentionMs, batch = 5000 }: { retentionMs: number, batch?: number }): OutboxPruner {
  return {
    async prune (now = Date.now()) {
      const due = db.select({ id: outbox.id }).from(outbox).where(and(isNotNull(outbox.sentAt), lt(outbox.sentAt, now - retentionMs))).limit(batch)
      const removed = await atomically((tx) => tx.delete(outbox).where(inArray(outbox.id, due)).returning({ id: outbox.id }))
      return removed.length
    }
  }
}

/** Longest wait between two prunes of sent rows. */
const pruneEveryMs = 60_000

/**
 * Prunes from now on: while rows go, more may be due, so again at once (a batch per turn of the
 * event loop); otherwise after min(a minute, retentionMs). Resolves `stop` once a prune under way ends.
 */
export function startOutboxPruning (database: ModuleDatabase<OutboxTables>, { retentionMs, log }: { retentionMs: number, log: FastifyBaseLogger }): { stop (): Promise<void> } {
  const { module } = database
  const pruner = createOutboxPruner(database, { retentionMs })
  const idle = Math.min(pruneEveryMs, retentionMs)
  let stopped = false
  let pruning: Promise<void> = Promise.resolve()
  let timer: NodeJS.Timeout
  function prune () {
    pruning = pruner.prune()
      .then((removed) => removed > 0 ? 0 : idle, (err) => {
        log.warn({ module, err }, 'outbox relay: could not prune sent events')
        return idle
      })
      .then((delay) => { if (!stopped) timer = setTimeout(prune, delay).unref() })
  }
  timer = setTimeout(prune, 0).unref()
  return {
    async stop () {
      stopped = true
      clearTimeout(timer)
      await pruning
    }
  }
}
