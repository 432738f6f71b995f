// What a database's own conditions become: a write that waits past SQLite's busy timeout (another
// process holds the file) is a 503 to retry, not a 500; a query that fails is logged by its
// statement and reason, never with the values it carried.
import t from 'tap'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { buildTestApp, tempDir } from '../../helpers/app.js'
import { adminQuery, createTestDatabase } from '../../helpers/database.js'
import { logLine, startProcess } from '../../helpers/process.js'

t.test('SQLite locked by another process past the busy timeout: 503 CLV_DATABASE_BUSY with Retry-After; then the write passes', async (t) => {
  const dataDir = tempDir(t)
  const app = await buildTestApp(t, { modules: ['users'], env: { DATA_DIR: dataDir } })
  const other = new Database(join(dataDir, 'users.sqlite'))
  t.teardown(() => other.close())
  other.exec('BEGIN IMMEDIATE')
  const busy = await app.inject({ method: 'POST', url: '/users', payload: { name: 'Ada', email: 'ada@example.com' } })
  t.equal(busy.statusCode, 503)
  t.equal(busy.headers['retry-after'], '1')
  t.match(busy.json(), { code: 'CLV_DATABASE_BUSY', detail: /try again/ })
  other.exec('COMMIT')
  t.equal((await app.inject({ method: 'POST', url: '/users', payload: { name: 'Ada', email: 'ada@example.com' } })).statusCode, 201, 'the same write, once the lock is gone')
})

// On PostgreSQL, where drizzle wraps the driver's error in one that writes the parameters into its
// message and stack.
t.test('a failed query is logged with its statement, not its values', async (t) => {
  const url = await createTestDatabase(t)
  const users = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: tempDir(t), DATABASE_URL: url })
  // A table gone under the server: its next insert fails inside the database.
  await adminQuery('alter table users.users rename to users_gone', url)
  const res = await fetch(`${users.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Grace Hopper', email: 'grace.private@example.com' }) })
  t.equal(res.status, 500)
  const text = await res.text()
  t.notMatch(text, /grace|Hopper|insert/i, 'the answer says nothing of it')
  const line = await logLine(users, 'the failed request', (line) => line.msg === 'request failed')
  t.match((line.err as { message: string }).message, /^Failed query: insert into "users" .*: relation "users" does not exist$/, 'the log names the statement and the reason')
  t.notMatch(JSON.stringify(users.logs), /grace|Hopper/i, 'no line holds the name or the email')
})
