// Replicas started at once on an empty database all come up: migrations are applied under a
// lock (an immediate write transaction on SQLite, an advisory lock on PostgreSQL), and those
// that wait for it then find everything applied.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { paths } from '../../../src/platform/primitives/paths.js'
import { tempDir } from '../../helpers/app.js'
import { adminQuery, createTestDatabase } from '../../helpers/database.js'
import { startProcess } from '../../helpers/process.js'

// Thirty processes start, three at a time, on a machine that may be busy: past tap's two minutes.
t.setTimeout(480_000)

const rounds = 5
const usersMigrations = (JSON.parse(readFileSync(join(paths.migrations, 'users', 'postgres', 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length
const replicas = 3
// Every module with tables: each has its own migrations to race on.
const modules = 'users,orders,tasks,notifications'

for (const dialect of ['sqlite', 'postgres'] as const) {
  t.test(`${dialect}: ${rounds} rounds of ${replicas} replicas started at once on an empty database`, async (t) => {
    for (let round = 1; round <= rounds; round++) {
      await t.test(`round ${round}`, async (t) => {
        const env = { MODULES: modules, DATA_DIR: tempDir(t), LOG_LEVEL: 'warn', ...(dialect === 'postgres' ? { DATABASE_URL: await createTestDatabase(t) } : {}) }
        const started = await Promise.allSettled(Array.from({ length: replicas }, () => startProcess(t, 'server', env)))
        t.same(started.map((outcome) => outcome.status === 'rejected' ? String(outcome.reason).split('\n').slice(0, 3).join(' ') : 'up'), Array(replicas).fill('up'))
        if (dialect === 'postgres') {
          const { rows } = await adminQuery('select count(*)::int as n from users.__drizzle_migrations', env.DATABASE_URL)
          t.equal(rows[0].n, usersMigrations, 'each of users\' migrations recorded once')
        }
        const res = await fetch(`${(started[0] as PromiseFulfilledResult<{ url: string }>).value.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }) })
        t.equal(res.status, 201, 'and serving')
      })
    }
  })
}
