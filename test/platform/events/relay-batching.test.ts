// The relay ships what this process committed right after the commit. With a queue (Redis),
// delivery is the queue accepting the batch, and rows committed while one delivery is under way
// wait for it and go together in the next: one round trip and one UPDATE for many events. In
// process, delivery runs the handlers, so rows never wait behind a slow one. A real SQLite outbox
// (the users module's); the delivery is the relay's own interface, held open by the test.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { count, isNotNull } from 'drizzle-orm'
import pino from 'pino'
import { createRelay, type Deliver } from '../../../src/platform/events/relay.js'
import type { EventEnvelope } from '../../../src/platform/events/event.js'
import { createMetrics } from '../../../src/platform/observability/metrics.js'
import { openSqlite } from '../../../src/platform/storage/sqlite.js'
import { userTables } from '../../../src/modules/users/tables.js'
import { tempDir } from '../../helpers/app.js'
import { until } from '../../helpers/until.js'

function heldDelivery () {
  const calls: Array<{ ids: string[], accept: () => void }> = []
  const deliver: Deliver = (events: EventEnvelope[]) => new Promise((resolve) => {
    calls.push({ ids: events.map((event) => event.id), accept: () => resolve('epoch-1') })
  })
  return { calls, deliver }
}

for (const queued of [true, false]) {
  t.test(`${queued ? 'queued' : 'in-process'} delivery: rows committed while one is under way ${queued ? 'wait and go together' : 'go at once'}`, async (t) => {
    const database = openSqlite(tempDir(t), 'users', userTables.sqlite)
    t.teardown(() => database.close())
    const { calls, deliver } = heldDelivery()
    const relay = createRelay({ database, deliver, queued, intervalMs: 60_000, claimMs: 60_000, retentionMs: 60_000, log: pino({ level: 'silent' }), relayLag: createMetrics().relayLag })
    const append = (id: string) => database.atomically((tx) => relay.append(tx, { id, name: 'user.created', payload: '{}', traceparent: null, tracestate: null }))

    const first = randomUUID()
    await append(first)
    await until(() => calls.length === 1, { what: 'the first row shipped after its commit' })
    t.same(calls[0].ids, [first])

    // Five commits, each in a turn of its own, while the first delivery is not yet accepted.
    const later = Array.from({ length: 5 }, () => randomUUID())
    for (const id of later) {
      await append(id)
      await new Promise((resolve) => setImmediate(resolve))
    }
    if (queued) {
      t.equal(calls.length, 1, 'nothing more is sent while the first delivery is under way')
      calls[0].accept()
      await until(() => calls.length === 2, { what: 'the rows that waited shipped once it was accepted' })
      t.same(calls[1].ids, later, 'all five in one delivery, in commit order')
    } else {
      t.same(calls.slice(1).map((call) => call.ids), later.map((id) => [id]), 'each shipped at once, not behind the first')
    }
    for (const call of calls) call.accept()
    await relay.stop()
    const [sent] = await database.db.select({ n: count() }).from(database.tables.outbox).where(isNotNull(database.tables.outbox.sentAt))
    t.equal(sent.n, 6, 'every row is marked sent once its delivery was accepted')
  })
}
