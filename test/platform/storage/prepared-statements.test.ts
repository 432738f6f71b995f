// dialects: sqlite postgres
// Statements compiled once (ModuleDatabase.prepareWrite, drizzle's .prepare on db) behave as the
// awaited builders they replace: on the transaction they run in, committed or rolled back with
// it, reused across transactions and connections. The dialect matrix runs it on PostgreSQL too.
import { sql } from 'drizzle-orm'
import pino from 'pino'
import t, { type Test } from 'tap'
import { userTables } from '../../../src/modules/users/tables.js'
import { loadConfig } from '../../../src/platform/config/config.js'
import { openModuleDatabase } from '../../../src/platform/storage/databases.js'
import { isUniqueViolation } from '../../../src/platform/storage/errors.js'
import { tempDir } from '../../helpers/app.js'
import { databaseEnv, testDialect } from '../../helpers/database.js'
import { registry } from '../../helpers/modules.js'

async function usersDatabase (t: Test) {
  const config = loadConfig({ DATA_DIR: tempDir(t), LOG_LEVEL: 'silent', ...await databaseEnv(t) }, registry)
  const database = await openModuleDatabase(config, 'users', userTables, pino({ level: 'silent' }))
  t.teardown(() => database.close())
  const { users } = database.tables
  const insert = database.prepareWrite('test_users_insert', (tx) => tx.insert(users)
    .values({ name: sql.placeholder('name'), email: sql.placeholder('email'), createdAt: sql.placeholder('createdAt') }).returning())
  const all = database.db.select().from(users).orderBy(users.id).prepare('test_users_all')
  const emails = async () => (await all.execute()).map((user) => user.email)
  return { database, insert, emails }
}

const user = (email: string) => ({ name: 'N', email, createdAt: '2026-01-01T00:00:00.000Z' })

t.test('a prepared write commits with its transaction and returns what the builder would', async (t) => {
  const { database, insert, emails } = await usersDatabase(t)
  const [row] = await database.atomically((tx) => insert(tx, user('a@example.com')))
  t.match(row, { id: Number, name: 'N', email: 'a@example.com', createdAt: '2026-01-01T00:00:00.000Z' })
  t.same(await emails(), ['a@example.com'], 'a read prepared on db sees the commit')
})

// First run in a transaction that rolls back: on PostgreSQL the statement it prepared outlives it.
t.test('rolled back with its transaction, and usable again after', async (t) => {
  const { database, insert, emails } = await usersDatabase(t)
  const failed = await database.atomically(async (tx) => {
    await insert(tx, user('a@example.com'))
    await insert(tx, user('A@example.com'))
  }).catch((error: unknown) => error)
  t.ok(isUniqueViolation(failed), 'the duplicate fails as a unique violation')
  t.same(await emails(), [], 'the first write of the failed transaction is gone')
  await database.atomically((tx) => insert(tx, user('a@example.com')))
  t.same(await emails(), ['a@example.com'])
})

t.test('many transactions at once, on as many connections as the database has', async (t) => {
  const { database, insert, emails } = await usersDatabase(t)
  const written = await Promise.all(Array.from({ length: 40 }, (_, i) => database.atomically((tx) => insert(tx, user(`u${i}@example.com`)))))
  t.equal(new Set(written.map(([row]) => row!.id)).size, 40)
  t.equal((await emails()).length, 40)
})

t.test('a prepared write refuses the read database: it needs the tx of a transaction', async (t) => {
  const { database, insert, emails } = await usersDatabase(t)
  await t.rejects(insert(database.db, user('a@example.com')), /test_users_insert is a write: run it with the tx of an atomically\(\) transaction/)
  t.same(await emails(), [])
})

t.test('SQLite: a cached statement drizzle read raw rows from answers a raw query with objects', { skip: testDialect() !== 'sqlite' && 'SQLite only' }, async (t) => {
  const { database } = await usersDatabase(t)
  const { users } = database.tables
  await database.atomically((tx) => tx.insert(users).values(user('a@example.com')))
  const builder = database.db.select().from(users)
  t.same(await builder, [{ id: 1, ...user('a@example.com') }])
  const sqlite = database.db as unknown as { all (query: unknown): Promise<unknown[]> }
  t.same(await sqlite.all(sql.raw(builder.toSQL().sql)), [{ id: 1, name: 'N', email: 'a@example.com', created_at: '2026-01-01T00:00:00.000Z' }])
})
