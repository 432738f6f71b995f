// Every replica of a module relays the same outbox. Rows are claimed, so that each goes to one
// relay (on PostgreSQL, replicas polling at once skip each other's locked rows), and a row whose
// owner died unsent is taken by another relay once its claim lapses. Each app here is a replica:
// users on one PostgreSQL database (or one SQLite file), its events handled in-process by a
// handler that records every run, so a row delivered twice would show.
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { notificationsContract } from '../../../src/modules/notifications/contract.js'
import { notificationTables } from '../../../src/modules/notifications/tables.js'
import { buildTestApp, tempDir } from '../../helpers/app.js'
import { createTestDatabase, execute, queryRows } from '../../helpers/database.js'
import { until } from '../../helpers/until.js'

async function replica (t: Test, env: Record<string, string>) {
  const app = await buildTestApp(t, { modules: ['users'], env: { RELAY_INTERVAL_MS: '20', RELAY_CLAIM_MS: '1500', ...env } })
  const runs: string[] = []
  await app.databases.open('notifications', notificationTables)
  app.registry.implement(notificationsContract, { operations: { listNotifications: async () => [] }, handlers: { 'user.created': (_payload, event) => { runs.push(event.id) }, 'order.placed': () => {}, 'order.shipped': () => {} } })
  await app.ready()
  return { app, runs }
}

function pendingRow (id: string, createdAt: number, claimedUntil: number | null): string {
  return `('${id}', 'user.created', '{"id":1,"name":"A","email":"a@example.com"}', ${createdAt}, ${claimedUntil})`
}

for (const dialect of ['postgres', 'sqlite'] as const) {
  t.test(`${dialect}: two relays on one outbox deliver each unowned row once, and a dead owner's row after its claim lapses`, async (t) => {
    const env: Record<string, string> = dialect === 'postgres' ? { DATABASE_URL: await createTestDatabase(t) } : { DATA_DIR: tempDir(t) }
    const a = await replica(t, env)
    const b = await replica(t, env)
    const outbox = a.app.databases.get('users')!

    // As a replica that died would leave them: 400 unsent rows nobody owns any more, and one
    // still claimed for another second and a half by the dead one.
    const now = Date.now()
    const ids = Array.from({ length: 400 }, () => randomUUID())
    await execute(outbox, `insert into outbox (id, name, payload, created_at, claimed_until) values ${ids.map((id, i) => pendingRow(id, now + i, i % 2 ? null : now - 1)).join(', ')}`)
    const orphan = randomUUID()
    const claimedUntil = Date.now() + 1500
    await execute(outbox, `insert into outbox (id, name, payload, created_at, claimed_until) values ${pendingRow(orphan, now, claimedUntil)}`)

    await until(() => a.runs.length + b.runs.length >= ids.length + 1, { what: 'every row delivered', timeoutMs: 30_000 })
    const all = [...a.runs, ...b.runs]
    t.equal(new Set(all).size, all.length, `no row delivered twice (${a.runs.length} by one relay, ${b.runs.length} by the other)`)
    t.same(new Set(all), new Set([...ids, orphan]), 'every row delivered')
    // Usually both take some; one may take all when its polls come first, which is no fault.
    t.comment(`one relay delivered ${a.runs.length}, the other ${b.runs.length}`)
    await until(async () => (await queryRows(outbox, 'select id from outbox where sent_at is null')).length === 0, { what: 'every row marked sent' })
    const orphanAt = (await queryRows<{ sent_at: number }>(outbox, `select sent_at from outbox where id = '${orphan}'`))[0]!.sent_at
    t.ok(Number(orphanAt) >= claimedUntil, 'the dead owner\'s row waited for its claim to lapse')
  })
}
