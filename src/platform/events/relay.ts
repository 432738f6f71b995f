import { asc, isNull, sql } from 'drizzle-orm'
import type { FastifyBaseLogger } from 'fastify'
import type { Metrics } from '../metrics.js'
import type { Db } from '../sqlite.js'
import type { EventEnvelope } from './event.js'
import { outbox } from './tables.js'

export type Deliver = (events: EventEnvelope[]) => Promise<void>

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
  /** Stops relaying and waits for deliveries under way. */
  stop (): Promise<void>
}

// Moves a module's outbox rows to the subscribers, marking them sent only once delivery was
// acknowledged. A failure leaves them pending for the next try: delayed, never lost.
// Batches are not awaited one after another, so a slow handler (in-process delivery) does
// not hold back the events behind it; rows under way are not picked up twice.
export function createRelay (options: { module: string, db: Db, deliver: Deliver, intervalMs: number, batch?: number, log: FastifyBaseLogger, relayLag: Metrics['relayLag'] }): Relay {
  const { module, db, deliver, intervalMs, batch = 200, log } = options
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
  const markSent = db.$client.prepare('update outbox set sent_at = ? where id in (select value from json_each(?))')
  let wakeScheduled = false
  const underWay = new Set<string>()
  const deliveries = new Set<Promise<void>>()
  let failing = false
  let stopped = false

  function ship (rows: Array<typeof outbox.$inferSelect>) {
    const ids = rows.map((row) => row.id)
    for (const id of ids) underWay.add(id)
    const delivery = deliver(rows.map(envelopeOf))
      .then(() => {
        const sentAt = Date.now()
        markSent.run(sentAt, JSON.stringify(ids))
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

  const timer = setInterval(wake, intervalMs).unref()
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
    async stop () {
      stopped = true
      clearInterval(timer)
      await Promise.all(deliveries)
    }
  }
}
