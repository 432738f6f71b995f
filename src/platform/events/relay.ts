import { asc, isNull, sql } from 'drizzle-orm'
import type { FastifyBaseLogger } from 'fastify'
import type { Metrics } from '../observability/metrics.js'
import type { Db } from '../storage/sqlite.js'
import type { EventEnvelope } from './event.js'
import { createOutboxPruner } from './outbox-retention.js'
import { outbox } from './tables.js'

/** Resolves once the events are accepted, with the epoch of the Redis holding them (null in-process). */
export type Deliver = (events: EventEnvelope[]) => Promise<string | null>

/** Longest wait between two prunes of sent rows. */
const pruneEveryMs = 60_000

function envelopeOf (row: typeof outbox.$inferSelect): EventEnvelope {
  const event: EventEnvelope = { id: row.id, name: row.name, payload: JSON.parse(row.payload), publishedAt: row.createdAt }
  if (row.traceparent) event.traceparent = row.traceparent
  if (row.tracestate) event.tracestate = row.tracestate
  return event
}

export interface Relay {
  /** Writes the event to the outbox (inside the caller's transaction) and ships it right after. */
  append (event: { id: string, name: string, payload: string, traceparent: string | null, tracestate: string | null }): void
  /** Ships what is pending now rather than at the next interval. */
  wake (): void
  /**
   * The Redis connected now has this epoch: rows sent into any other (within the retention
   * window) were lost with it and are made pending again.
   */
  redeliverOutside (epoch: string): void
  /** Stops relaying and waits for deliveries under way. */
  stop (): Promise<void>
}

// Moves a module's outbox rows to the subscribers, marking them sent only once delivery was
// acknowledged. A failure leaves them pending for the next try: delayed, never lost.
// Batches are not awaited one after another, so a slow handler (in-process delivery) does
// not hold back the events behind it; rows under way are not picked up twice.
// Sent rows keep the epoch they went into and are kept for retentionMs: a Redis that comes
// back empty gets them again (job id = event id, and handlers skip processed ids).
export function createRelay (options: { module: string, db: Db, deliver: Deliver, intervalMs: number, retentionMs: number, batch?: number, log: FastifyBaseLogger, relayLag: Metrics['relayLag'] }): Relay {
  const { module, db, deliver, intervalMs, retentionMs, batch = 200, log } = options
  const lag = options.relayLag.labels(module)
  // Prepared once: these run for every event.
  const pending = db.select().from(outbox).where(isNull(outbox.sentAt)).orderBy(asc(outbox.createdAt)).limit(batch).prepare()
  const insert = db.insert(outbox).values({
    id: sql.placeholder('id'),
    name: sql.placeholder('name'),
    payload: sql.placeholder('payload'),
    createdAt: sql.placeholder('createdAt'),
    traceparent: sql.placeholder('traceparent'),
    tracestate: sql.placeholder('tracestate')
  }).prepare()
  const markSent = db.$client.prepare('update outbox set sent_at = ?, sent_epoch = ? where id in (select value from json_each(?))')
  // Rare (once per new epoch), so a scan of the retained rows is fine.
  const markLost = db.$client.prepare('update outbox set sent_at = null, sent_epoch = null where sent_epoch is not null and sent_epoch <> ? and sent_at >= ?')
  const pruner = createOutboxPruner(db, { retentionMs })
  let epoch: string | undefined
  let wakeScheduled = false
  const underWay = new Set<string>()
  const deliveries = new Set<Promise<void>>()
  let failing = false
  let stopped = false

  function ship (rows: Array<typeof outbox.$inferSelect>) {
    const ids = rows.map((row) => row.id)
    for (const id of ids) underWay.add(id)
    const delivery = deliver(rows.map(envelopeOf))
      .then((deliveredInto) => {
        const sentAt = Date.now()
        markSent.run(sentAt, deliveredInto, JSON.stringify(ids))
        // Acknowledged by a Redis that has since been replaced: these went down with it.
        if (deliveredInto !== null && epoch !== undefined && deliveredInto !== epoch) redeliverOutside(epoch)
        for (const row of rows) lag.observe((sentAt - row.createdAt) / 1000)
        if (failing) log.info({ module }, 'outbox relay: delivering again')
        failing = false
        // More may be waiting behind this batch (after an outage, or a burst).
        setImmediate(wake)
      }, (err) => {
        if (!failing) log.warn({ module, err }, 'outbox relay: delivery failed; events stay pending and are retried')
        failing = true
      })
      .finally(() => {
        for (const id of ids) underWay.delete(id)
        deliveries.delete(delivery)
      })
    deliveries.add(delivery)
  }

  function wake () {
    // While Redis is down, one try at a time is enough.
    if (stopped || (failing && deliveries.size > 0)) return
    const rows = pending.all().filter((row) => !underWay.has(row.id))
    if (rows.length > 0) ship(rows)
  }

  function redeliverOutside (current: string) {
    epoch = current
    const lost = markLost.run(current, Date.now() - retentionMs).changes
    if (lost === 0) return
    log.warn({ module, events: lost, epoch: current }, 'outbox relay: events sent into a Redis that lost its data are delivered again')
    wake()
  }

  // While rows go, more may be due: go on at once, a batch per turn of the event loop.
  function prune () {
    if (stopped) return
    if (pruner.prune() > 0) pruneTimer = setTimeout(prune, 0).unref()
    else pruneTimer = setTimeout(prune, Math.min(pruneEveryMs, retentionMs)).unref()
  }

  const timer = setInterval(wake, intervalMs).unref()
  let pruneTimer = setTimeout(prune, 0).unref()
  wake()

  return {
    append (event) {
      insert.run({ ...event, createdAt: Date.now() })
      // One wake per turn of the event loop: what a burst publishes leaves as one batch.
      if (wakeScheduled) return
      wakeScheduled = true
      setImmediate(() => { wakeScheduled = false; wake() })
    },
    wake,
    redeliverOutside,
    async stop () {
      stopped = true
      clearInterval(timer)
      clearTimeout(pruneTimer)
      await Promise.all(deliveries)
    }
  }
}
