import t from 'tap'
import { createOutboxPruner } from '../../../src/platform/events/outbox-retention.js'
import { taskTables } from '../../../src/modules/tasks/tables.js'
import { openSqlite } from '../../../src/platform/storage/sqlite.js'
import { buildTestApp, tempDir } from '../../helpers/app.js'
import { execute, queryRows } from '../../helpers/database.js'
import { until } from '../../helpers/until.js'

const hour = 3_600_000
const now = Date.parse('2026-03-01T12:00:00Z')

// The tasks module's real database: its migrations create the outbox.
function outboxDb (t: Parameters<typeof tempDir>[0], dataDir = tempDir(t)) {
  const db = openSqlite(dataDir, 'tasks', taskTables.sqlite)
  t.teardown(() => db.close())
  const sqlValue = (value: string | number | null) => typeof value === 'string' ? `'${value}'` : String(value)
  const insert = { run: (...values: Array<string | number | null>) => execute(db, `insert into outbox (id, name, payload, created_at, sent_at, sent_epoch) values (${sqlValue(values[0]!)}, 'task.queued', '{}', ${values.slice(1).map(sqlValue).join(', ')})`) }
  const ids = async () => (await queryRows<{ id: string }>(db, 'select id from outbox order by id')).map((row) => row.id)
  return { db, insert, ids }
}

t.test('sent rows older than the retention are deleted; newer and pending rows are kept', async (t) => {
  const { db, insert, ids } = outboxDb(t)
  await insert.run('a-sent-8-days-ago', now - 8 * 24 * hour, now - 8 * 24 * hour, 'old-epoch')
  await insert.run('b-sent-in-process-8-days-ago', now - 8 * 24 * hour, now - 8 * 24 * hour, null)
  await insert.run('c-sent-just-over-7-days-ago', now - 7 * 24 * hour - 2, now - 7 * 24 * hour - 1, 'epoch')
  await insert.run('d-sent-just-under-7-days-ago', now - 7 * 24 * hour, now - 7 * 24 * hour + 1, 'epoch')
  await insert.run('e-sent-an-hour-ago', now - hour, now - hour, 'epoch')
  await insert.run('f-pending-for-8-days', now - 8 * 24 * hour, null, null)
  await insert.run('g-pending-now', now, null, null)

  const pruner = createOutboxPruner(db, { retentionMs: 7 * 24 * hour })
  t.equal(await pruner.prune(now), 3)
  t.same(await ids(), ['d-sent-just-under-7-days-ago', 'e-sent-an-hour-ago', 'f-pending-for-8-days', 'g-pending-now'])
  t.equal(await pruner.prune(now), 0, 'nothing more to delete')
  t.equal(await pruner.prune(now + 30 * 24 * hour), 2, 'a month on, the rest of the sent rows go')
  t.same(await ids(), ['f-pending-for-8-days', 'g-pending-now'], 'pending rows are never deleted')
})

t.test('a batch at a time', async (t) => {
  const { db, insert, ids } = outboxDb(t)
  for (let i = 0; i < 25; i++) await insert.run(`sent-${String(i).padStart(2, '0')}`, now - 2 * hour, now - 2 * hour, 'epoch')
  const pruner = createOutboxPruner(db, { retentionMs: hour, batch: 10 })
  t.same([await pruner.prune(now), await pruner.prune(now), await pruner.prune(now), await pruner.prune(now)], [10, 10, 5, 0])
  t.same(await ids(), [])
})

t.test('the relay prunes on start-up, with OUTBOX_RETENTION_MS', async (t) => {
  const dataDir = tempDir(t)
  const seeded = outboxDb(t, dataDir)
  await seeded.insert.run('sent-2-hours-ago', Date.now() - 2 * hour, Date.now() - 2 * hour, 'epoch')
  await seeded.insert.run('sent-a-minute-ago', Date.now() - 60_000, Date.now() - 60_000, 'epoch')
  await seeded.db.close()

  const app = await buildTestApp(t, { modules: ['tasks'], env: { DATA_DIR: dataDir, OUTBOX_RETENTION_MS: String(hour) } })
  await app.ready()
  const ids = async () => (await queryRows<{ id: string }>(app.databases.get('tasks')!, 'select id from outbox')).map((row) => row.id)
  t.same(await until(async () => { const now = await ids(); return now.length === 1 && now }, { what: 'the old row pruned' }), ['sent-a-minute-ago'])
})
