import { and, asc, eq, gte, inArray, isNotNull, isNull, ne, sql } from 'drizzle-orm'
import type { FastifyBaseLogger } from 'fastify'
import type { Metrics } from '../observability/metrics.js'
import type { Db, ModuleDatabase } from '../storage/database.js'
import type { EventEnvelope } from './event.js'
import { createOutboxPruner } from './outbox-retention.js'
import type { OutboxTables } from './tables.js'

type OutboxRow = OutboxTables['outbox']['$inferSelect']

/** Resolves once the events are accepted, with the epoch of the Redis holding them (null in-process). */
export type Deliver = (events: EventEnvelope[]) => Promise<string | null>

/** Longest wait between two prunes of sent rows. */
const pruneEveryMs = 60_000

function envelopeOf (row: OutboxRow): EventEnvelope {
  const event: EventEnvelope = { id: row.id, name: row.name, payload: JSON.parse(row.payload), publishedAt: row.createdAt }
  if (row.traceparent) event.traceparent = row.traceparent
  if (row.tracestate) event.tracestate = row.tracestate
  return event
}

export interface Relay {
  /** Writes the event to the outbox through the caller's transaction; it is shipped once that commits. */
  append (tx: Db, event: { id: string, name: string, payload: string, traceparent: string | null, tracestate: string | null }): Promise<void>
  /** Ships what is pending now rather than at the next interval. */
  wake (): void
  /**
   * The Redis connected now has this epoch: rows sent into any other (within the retention
   * window) were lost with it and are made pending again. Never rejects: a failure is logged.
   */
  redeliverOutside (epoch: string): Promise<void>
  /** Stops relaying and waits for deliveries under way. */
  stop (): Promise<void>
}

// Moves a module's outbox rows to the subscribers, marking them sent only once delivery was
// acknowledged. A failure leaves them pending for the next try: delayed, never lost.
// Batches are not awaited one after another, so a slow handler (in-process delivery) does
// not hold back the events behind it; rows under way are not picked up twice.
// Sent rows keep the epoch they went into and are kept for retentionMs: a Redis that comes
// back empty gets them again (job id = event id, and handlers skip processed ids).
export function createRelay (options: { database: ModuleDatabase<OutboxTables>, deliver: Deliver, intervalMs: number, retentionMs: number, batch?: number, log: FastifyBaseLogger, relayLag: Metrics['relayLag'] }): Relay {
  const { database, deliver, intervalMs, retentionMs, batch = 200, log } = options
  const { module, db, tables: { outbox }, atomically, prepareWrite } = database
  const lag = options.relayLag.labels(module)
  const pruner = createOutboxPruner(database, { retentionMs })
  let epoch: string | undefined
  let wakeScheduled = false
  // One read of the pending rows at a time; a wake asked for meanwhile reads again after it.
  let reading: Promise<void> | undefined
  let readAgain = false
  const underWay = new Set<string>()
  const deliveries = new Set<Promise<void>>()
  let failing = false
  let stopped = false

  // Compiled once: these run for every event.
  const pendingRows = db.select().from(outbox).where(isNull(outbox.sentAt)).orderBy(asc(outbox.createdAt)).limit(sql.placeholder('batch')).prepare('outbox_pending')
  const insert = prepareWrite('outbox_append', (tx) => tx.insert(outbox).values({
    id: sql.placeholder('id'),
    name: sql.placeholder('name'),
    payload: sql.placeholder('payload'),
    createdAt: sql.placeholder('createdAt'),
    traceparent: sql.placeholder('traceparent'),
    tracestate: sql.placeholder('tracestate')
  }))
  // A batch is most often the one event a request published: that update is compiled once too.
  const markOneSent = prepareWrite('outbox_mark_sent', (tx) => tx.update(outbox)
    .set({ sentAt: sql`${sql.placeholder('sentAt')}`, sentEpoch: sql`${sql.placeholder('sentEpoch')}` })
    .where(eq(outbox.id, sql.placeholder('id'))))

  function pending (): Promise<OutboxRow[]> {
    return pendingRows.execute({ batch })
  }

  function markSent (ids: string[], sentAt: number, sentEpoch: string | null) {
    return atomically((tx) => ids.length === 1
      ? markOneSent(tx, { id: ids[0], sentAt, sentEpoch })
      : tx.update(outbox).set({ sentAt, sentEpoch }).where(inArray(outbox.id, ids)))
  }

  function ship (rows: OutboxRow[]) {
    const ids = rows.map((row) => row.id)
    for (const id of ids) underWay.add(id)
    const delivery = deliver(rows.map(envelopeOf))
      .then(async (deliveredInto) => {
        const sentAt = Date.now()
        await markSent(ids, sentAt, deliveredInto)
        // Acknowledged by a Redis that has since been replaced: these went down with it.
        if (deliveredInto !== null && epoch !== undefined && deliveredInto !== epoch) await redeliverOutside(epoch)
        for (const row of rows) lag.observe((sentAt - row.createdAt) / 1000)
        if (failing) log.info({ module }, 'outbox relay: delivering again')
        failing = false
        // More may be waiting behind this batch (after an outage, or a burst).
        setImmediate(wake)
      }, (err) => {
        if (!failing) log.warn({ module, err }, 'outbox relay: delivery failed; events stay pending and are retried')
        failing = true
      })
      .catch((err) => log.warn({ module, err }, 'outbox relay: could not mark delivered events as sent; they will be delivered again'))
      .finally(() => {
        for (const id of ids) underWay.delete(id)
        deliveries.delete(delivery)
      })
    deliveries.add(delivery)
  }

  async function readAndShip () {
    try {
      const rows = (await pending()).filter((row) => !underWay.has(row.id))
      if (rows.length > 0 && !stopped) ship(rows)
    } catch (err) {
      // The database is unreachable: the interval tries again.
      log.warn({ module, err }, 'outbox relay: could not read pending events')
    }
  }

  function wake () {
    // While Redis is down, one try at a time is enough.
    if (stopped || (failing && deliveries.size > 0)) return
    if (reading) {
      readAgain = true
      return
    }
    reading = readAndShip().finally(() => {
      reading = undefined
      if (!readAgain) return
      readAgain = false
      wake()
    })
  }

  async function redeliverOutside (current: string) {
    epoch = current
    const lost = await atomically((tx) => tx.update(outbox).set({ sentAt: null, sentEpoch: null })
      .where(and(isNotNull(outbox.sentEpoch), ne(outbox.sentEpoch, current), gte(outbox.sentAt, Date.now() - retentionMs)))
      .returning({ id: outbox.id }))
      .catch((err) => {
        log.warn({ module, err }, 'outbox relay: could not check for events a lost Redis held')
        return []
      })
    if (lost.length === 0) return
    log.warn({ module, events: lost.length, epoch: current }, 'outbox relay: events sent into a Redis that lost its data are delivered again')
    wake()
  }

  // While rows go, more may be due: go on at once, a batch per turn of the event loop.
  let pruning: Promise<void> = Promise.resolve()
  function prune () {
    if (stopped) return
    const idle = Math.min(pruneEveryMs, retentionMs)
    pruning = pruner.prune()
      .then((removed) => removed > 0 ? 0 : idle, (err) => {
        log.warn({ module, err }, 'outbox relay: could not prune sent events')
        return idle
      })
      .then((delay) => { if (!stopped) pruneTimer = setTimeout(prune, delay).unref() })
  }

  const timer = setInterval(wake, intervalMs).unref()
  let pruneTimer = setTimeout(prune, 0).unref()
  wake()

  return {
    async append (tx, event) {
      await insert(tx, { ...event, createdAt: Date.now() })
      // One wake per committed burst: what it published leaves as one batch.
      database.afterCommit(tx, () => {
        if (wakeScheduled) return
        wakeScheduled = true
        setImmediate(() => { wakeScheduled = false; wake() })
      })
    },
    wake,
    redeliverOutside,
    async stop () {
      stopped = true
      clearInterval(timer)
      clearTimeout(pruneTimer)
      await Promise.all([reading, ...deliveries, pruning])
    }
  }
}
