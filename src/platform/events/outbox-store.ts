// The outbox's SQL, one statement per step of a row's life: appended in the publisher's
// transaction, claimed by a relay, marked sent or released, and reopened when the Redis it went
// into lost it. No state: the relay decides when each runs.
import { and, asc, eq, gte, inArray, isNotNull, isNull, lt, ne, or, sql } from 'drizzle-orm'
import type { Db, ModuleDatabase } from '../storage/database.js'
import type { OutboxTables } from './tables.js'

export type OutboxRow = OutboxTables['outbox']['$inferSelect']
export type NewOutboxRow = Pick<OutboxRow, 'id' | 'name' | 'payload' | 'traceparent' | 'tracestate'>

export interface OutboxStore {
  /** Inserts the row through the caller's transaction, claimed by this process for claimMs. */
  append (tx: Db, event: NewOutboxRow): Promise<OutboxRow>
  /** Up to `batch` unsent rows nobody owns, oldest first, now this process's for claimMs. */
  claim (): Promise<OutboxRow[]>
  markSent (ids: string[], sentAt: number, sentEpoch: string | null): Promise<unknown>
  /** Gives the rows up so anyone's next poll may take them (after a failed delivery). */
  release (ids: string[]): Promise<unknown>
  /** Rows sent since `since` into a Redis other than `epoch` become pending again; their ids. */
  reopenSentOutside (epoch: string, since: number): Promise<string[]>
}

export function createOutboxStore (database: ModuleDatabase<OutboxTables>, { claimMs, batch }: { claimMs: number, batch: number }): OutboxStore {
  const { tables: { outbox }, atomically, prepareWrite } = database

  // Compiled once: these run for every event.
  const insert = prepareWrite('outbox_append', (tx) => tx.insert(outbox).values({
    id: sql.placeholder('id'),
    name: sql.placeholder('name'),
    payload: sql.placeholder('payload'),
    createdAt: sql.placeholder('createdAt'),
    claimedUntil: sql.placeholder('claimedUntil'),
    traceparent: sql.placeholder('traceparent'),
    tracestate: sql.placeholder('tracestate')
  }))
  // A batch is most often the one event a request published: that update is compiled once too.
  const markOneSent = prepareWrite('outbox_mark_sent', (tx) => tx.update(outbox)
    .set({ sentAt: sql`${sql.placeholder('sentAt')}`, sentEpoch: sql`${sql.placeholder('sentEpoch')}` })
    .where(eq(outbox.id, sql.placeholder('id'))))

  return {
    async append (tx, event) {
      const createdAt = Date.now()
      const row = { ...event, createdAt, claimedUntil: createdAt + claimMs, sentAt: null, sentEpoch: null }
      await insert(tx, row)
      return row
    },

    // Unsent rows nobody owns (never claimed, or their owner's claim lapsed). On PostgreSQL,
    // replicas polling at once skip each other's locked rows instead of waiting for them (FOR
    // UPDATE SKIP LOCKED), so each row goes to one of them; on SQLite the write lock serialises them.
    claim () {
      const now = Date.now()
      return atomically((tx) => {
        const unowned = tx.select({ id: outbox.id }).from(outbox)
          .where(and(isNull(outbox.sentAt), or(isNull(outbox.claimedUntil), lt(outbox.claimedUntil, now))))
          .orderBy(asc(outbox.createdAt)).limit(batch)
        const claimable = database.dialect === 'postgres' ? unowned.for('update', { skipLocked: true }) : unowned
        return tx.update(outbox).set({ claimedUntil: now + claimMs }).where(inArray(outbox.id, claimable)).returning()
      })
    },

    markSent (ids, sentAt, sentEpoch) {
      return atomically((tx) => ids.length === 1
        ? markOneSent(tx, { id: ids[0], sentAt, sentEpoch })
        : tx.update(outbox).set({ sentAt, sentEpoch }).where(inArray(outbox.id, ids)))
    },

    release (ids) {
      return atomically((tx) => tx.update(outbox).set({ claimedUntil: null }).where(and(inArray(outbox.id, ids), isNull(outbox.sentAt))))
    },

    async reopenSentOutside (epoch, since) {
      const reopened = await atomically((tx) => tx.update(outbox).set({ sentAt: null, sentEpoch: null, claimedUntil: null })
        .where(and(isNotNull(outbox.sentEpoch), ne(outbox.sentEpoch, epoch), gte(outbox.sentAt, since)))
        .returning({ id: outbox.id }))
      return reopened.map(({ id }) => id)
    }
  }
}
