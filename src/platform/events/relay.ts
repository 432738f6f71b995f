import { asc, inArray, isNull } from 'drizzle-orm'
import type { FastifyBaseLogger } from 'fastify'
import type { Db } from '../sqlite.js'
import type { EventEnvelope } from './event.js'
import { outbox } from './tables.js'

export type Deliver = (events: EventEnvelope[]) => Promise<void>

export interface Relay {
  /** Something was published: ship it now rather than at the next interval. */
  wake (): void
  /** Ships what is pending and stops. */
  stop (): Promise<void>
}

// Moves a module's outbox rows to the subscribers, marking them sent only once delivery was
// acknowledged. A failure leaves them pending for the next try: delayed, never lost.
export function createRelay (options: { module: string, db: Db, deliver: Deliver, intervalMs: number, batch?: number, log: FastifyBaseLogger }): Relay {
  const { module, db, deliver, intervalMs, batch = 200, log } = options
  const pending = db.select().from(outbox).where(isNull(outbox.sentAt)).orderBy(asc(outbox.createdAt)).limit(batch).prepare()
  let running: Promise<void> | undefined
  let again = false
  let failing = false
  let stopped = false

  async function drain () {
    for (;;) {
      const rows = pending.all()
      if (rows.length === 0) return
      await deliver(rows.map((row) => ({ id: row.id, name: row.name, payload: JSON.parse(row.payload), publishedAt: row.createdAt })))
      db.update(outbox).set({ sentAt: Date.now() }).where(inArray(outbox.id, rows.map((row) => row.id))).run()
      if (failing) log.info({ module }, 'outbox relay: delivering again')
      failing = false
    }
  }

  function wake () {
    if (stopped) return
    if (running) { again = true; return }
    running = drain()
      .catch((err) => {
        if (!failing) log.warn({ module, err }, 'outbox relay: delivery failed; events stay pending and are retried')
        failing = true
      })
      .finally(() => {
        running = undefined
        if (again) { again = false; wake() }
      })
  }

  const timer = setInterval(wake, intervalMs).unref()
  wake()

  return {
    wake,
    async stop () {
      clearInterval(timer)
      await running
      stopped = true
    }
  }
}
