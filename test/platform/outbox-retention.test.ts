import t from 'tap'
import { createOutboxPruner } from '../../src/platform/events/outbox-retention.js'
import { openSqlite } from '../../src/platform/storage/sqlite.js'
import { buildTestApp, tempDir } from '../helpers/app.js'
import { until } from '../helpers/until.js'

const hour = 3_600_000
const now = Date.parse('2026-03-01T12:00:00Z')

// The tasks module's real database: its migrations create the outbox.
function outboxDb (t: Parameters<typeof tempDir>[0]) {
  const db = openSqlite(tempDir(t), 'tasks')
  t.teardown(() => db.$client.close())
  const insert = db.$client.prepare("insert into outbox (id, name, payload, created_at, sent_at, sent_epoch) values (?, 'task.queued', '{}', ?, ?, ?)")
  const ids = () => (db.$client.prepare('select id from outbox order by id').all() as Array<{ id: string }>).map((row) => row.id)
  return { db, insert, ids }
}

t.test('sent rows older than the retention are deleted; newer and pending rows are kept', async (t) => {
  const { db, insert, ids } = outboxDb(t)
  insert.run('a-sent-8-days-ago', now - 8 * 24 * hour, now - 8 * 24 * hour, 'old-epoch')
  insert.run('b-sent-in-process-8-days-ago', now - 8 * 24 * hour, now - 8 * 24 * hour, null)
  insert.run('c-sent-just-over-7-days-ago', now - 7 * 24 * hour - 2, now - 7 * 24 * hour - 1, 'epoch')
  insert.run('d-sent-just-under-7-days-ago', now - 7 * 24 * hour, now - 7 * 24 * hour + 1, 'epoch')
  insert.run('e-sent-an-hour-ago', now - hour, now - hour, 'epoch')
  insert.run('f-pending-for-8-days', now - 8 * 24 * hour, null, null)
  insert.run('g-pending-now', now, null, null)

  const pruner = createOutboxPruner(db, { retentionMs: 7 * 24 * hour })
  t.equal(pruner.prune(now), 3)
  t.same(ids(), ['d-sent-just-under-7-days-ago', 'e-sent-an-hour-ago', 'f-pending-for-8-days', 'g-pending-now'])
  t.equal(pruner.prune(now), 0, 'nothing more to delete')
  t.equal(pruner.prune(now + 30 * 24 * hour), 2, 'a month on, the rest of the sent rows go')
  t.same(ids(), ['f-pending-for-8-days', 'g-pending-now'], 'pending rows are never deleted')
})

t.test('a batch at a time', async (t) => {
  const { db, insert, ids } = outboxDb(t)
  for (let i = 0; i < 25; i++) insert.run(`sent-${String(i).padStart(2, '0')}`, now - 2 * hour, now - 2 * hour, 'epoch')
  const pruner = createOutboxPruner(db, { retentionMs: hour, batch: 10 })
  t.same([pruner.prune(now), pruner.prune(now), pruner.prune(now), pruner.prune(now)], [10, 10, 5, 0])
  t.same(ids(), [])
})

t.test('the relay prunes on start-up, with OUTBOX_RETENTION_MS', async (t) => {
  const dataDir = tempDir(t)
  const seeded = openSqlite(dataDir, 'tasks')
  const insert = seeded.$client.prepare("insert into outbox (id, name, payload, created_at, sent_at, sent_epoch) values (?, 'task.queued', '{}', ?, ?, 'epoch')")
  insert.run('sent-2-hours-ago', Date.now() - 2 * hour, Date.now() - 2 * hour)
  insert.run('sent-a-minute-ago', Date.now() - 60_000, Date.now() - 60_000)
  seeded.$client.close()

  const app = await buildTestApp(t, { modules: ['tasks'], env: { DATA_DIR: dataDir, OUTBOX_RETENTION_MS: String(hour) } })
  await app.ready()
  const ids = () => (app.databases.open('tasks').$client.prepare('select id from outbox').all() as Array<{ id: string }>).map((row) => row.id)
  t.same(await until(() => { const now = ids(); return now.length === 1 && now }, { what: 'the old row pruned' }), ['sent-a-minute-ago'])
})
