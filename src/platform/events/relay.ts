import type { FastifyBaseLogger } from 'fastify'
import type { Metrics } from '../observability/metrics.js'
import type { Db, ModuleDatabase } from '../storage/database.js'
import type { EventEnvelope } from './event.js'
import { createOutboxStore, type NewOutboxRow, type OutboxRow } from './outbox-store.js'
import type { OutboxTables } from './tables.js'

/** Resolves once the events are accepted, with the epoch of the Redis holding them (null in-process). */
export type Deliver = (events: EventEnvelope[]) => Promise<string | null>

function envelopeOf (row: OutboxRow): EventEnvelope {
  const event: EventEnvelope = { id: row.id, name: row.name, payload: JSON.parse(row.payload), publishedAt: row.createdAt }
  if (row.traceparent) event.traceparent = row.traceparent
  if (row.tracestate) event.tracestate = row.tracestate
  return event
}

export interface Relay {
  /** Writes the event to the outbox through the caller's transaction; it is shipped once that commits. */
  append (tx: Db, event: NewOutboxRow): Promise<void>
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
// Every replica of a module relays its outbox: a row belongs to the process that wrote it
// (claimed on insert, shipped right after commit), and the polls of all replicas claim rows
// whose owner did not send them before its claim lapsed (it died, or its delivery failed).
// Polled batches are not awaited one after another, so a slow handler (in-process delivery)
// does not hold back the events behind it; rows under way are not picked up twice. Fresh rows
// wait for the delivery before them only with a queue (`queued`), where delivery is a round trip.
// Sent rows keep the epoch they went into for retentionMs (outbox-retention.ts prunes them
// after): a Redis that comes back empty gets them again (job id = event id, and handlers skip
// processed ids).
export function createRelay (options: {
  database: ModuleDatabase<OutboxTables>
  deliver: Deliver
  /**
   * Delivery is a queue accepting the events (Redis), not their handlers running: rows committed
   * while one such delivery is under way wait for it and go together in the next one.
   */
  queued?: boolean
  intervalMs: number
  claimMs: number
  retentionMs: number
  batch?: number
  log: FastifyBaseLogger
  relayLag: Metrics['relayLag']
}): Relay {
  const { database, deliver, queued = false, intervalMs, claimMs, retentionMs, batch = 200, log } = options
  const { module } = database
  const store = createOutboxStore(database, { claimMs, batch })
  const lag = options.relayLag.labels(module)
  let epoch: string | undefined
  // Rows this process wrote and committed, shipped as they are: no read needed to find them.
  let fresh: OutboxRow[] = []
  // With a queue, the delivery of fresh rows under way: rows that wait for it go in one addBulk and
  // one UPDATE, not a round trip each (bench:events). In-process delivery runs the handlers, where
  // a slow one would hold back the rows behind it, so there rows never wait.
  let freshUnderWay: Promise<void> | undefined
  // One claim at a time; a wake asked for meanwhile claims again after it.
  let reading: Promise<void> | undefined
  let readAgain = false
  const underWay = new Set<string>()
  const deliveries = new Set<Promise<void>>()
  let failing = false
  let stopped = false

  // After a failed delivery: best effort; else the claim lapses.
  const release = (ids: string[]) => store.release(ids).catch(() => {})

  function ship (rows: OutboxRow[]): Promise<void> {
    const ids = rows.map((row) => row.id)
    for (const id of ids) underWay.add(id)
    const delivery = deliver(rows.map(envelopeOf))
      .then(async (deliveredInto) => {
        const sentAt = Date.now()
        await store.markSent(ids, sentAt, deliveredInto)
        // Acknowledged by a Redis that has since been replaced: these went down with it.
        if (deliveredInto !== null && epoch !== undefined && deliveredInto !== epoch) await redeliverOutside(epoch)
        for (const row of rows) lag.observe((sentAt - row.createdAt) / 1000)
        if (failing) log.info({ module }, 'outbox relay: delivering again')
        failing = false
        // A full batch from a poll: more may be waiting behind it (after an outage, or a burst).
        if (rows.length >= batch) setImmediate(wake)
      }, async (err) => {
        if (!failing) log.warn({ module, err }, 'outbox relay: delivery failed; events stay pending and are retried')
        failing = true
        await release(ids)
      })
      .catch((err) => log.warn({ module, err }, 'outbox relay: could not mark delivered events as sent; they will be delivered again'))
      .finally(() => {
        for (const id of ids) underWay.delete(id)
        deliveries.delete(delivery)
      })
    deliveries.add(delivery)
    return delivery
  }

  function shipFresh () {
    const rows = fresh
    fresh = []
    // While deliveries fail, one try at a time: the polls take these once it succeeds.
    if (stopped || rows.length === 0) return
    if (failing && deliveries.size > 0) {
      void release(rows.map((one) => one.id))
      return
    }
    const delivery = ship(rows)
    if (!queued) return
    freshUnderWay = delivery.finally(() => {
      freshUnderWay = undefined
      shipFresh()
    })
  }

  async function claimAndShip () {
    try {
      const rows = (await store.claim()).filter((row) => !underWay.has(row.id))
      if (rows.length > 0 && !stopped) ship(rows)
    } catch (err) {
      // The database is unreachable: the interval tries again.
      log.warn({ module, err }, 'outbox relay: could not claim pending events')
    }
  }

  function wake () {
    // While Redis is down, one try at a time is enough.
    if (stopped || (failing && deliveries.size > 0)) return
    if (reading) {
      readAgain = true
      return
    }
    reading = claimAndShip().finally(() => {
      reading = undefined
      if (!readAgain) return
      readAgain = false
      wake()
    })
  }

  async function redeliverOutside (current: string) {
    epoch = current
    const lost = await store.reopenSentOutside(current, Date.now() - retentionMs)
      .catch((err) => {
        log.warn({ module, err }, 'outbox relay: could not check for events a lost Redis held')
        return []
      })
    if (lost.length === 0) return
    log.warn({ module, events: lost.length, epoch: current }, 'outbox relay: events sent into a Redis that lost its data are delivered again')
    wake()
  }

  const timer = setInterval(wake, intervalMs).unref()
  wake()

  return {
    async append (tx, event) {
      const row = await store.append(tx, event)
      // Shipped by this process once committed, one batch per turn of the event loop for what a
      // burst published; if it dies first, another replica claims the row when the claim lapses.
      database.afterCommit(tx, () => {
        fresh.push(row)
        if (fresh.length > 1 || freshUnderWay) return
        setImmediate(shipFresh)
      })
    },
    redeliverOutside,
    async stop () {
      stopped = true
      clearInterval(timer)
      await Promise.all([reading, ...deliveries])
    }
  }
}
