import t from 'tap'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { tempDir } from '../helpers/app.js'
import { adminQuery, createTestDatabase } from '../helpers/database.js'
import { runToEnd, startProcess, type RunningProcess } from '../helpers/process.js'
import { until } from '../helpers/until.js'

// Trust auth ignores it, so it can ride in every URL here; no output may show it.
const password = 'never-shown-7f3a'

async function withPassword (t: Parameters<typeof createTestDatabase>[0]): Promise<string> {
  const url = new URL(await createTestDatabase(t))
  url.password = password
  return url.href
}

async function getJson<T = unknown> (url: string): Promise<T> {
  const response = await fetch(url)
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`)
  return await response.json() as T
}

async function createUser (server: RunningProcess, name: string): Promise<{ id: number }> {
  const response = await fetch(`${server.url}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, email: `${name.toLowerCase()}@example.com` })
  })
  if (response.status !== 201) throw new Error(`POST /users: ${response.status} ${await response.text()}`)
  return await response.json() as { id: number }
}

async function stop (t: Parameters<typeof createTestDatabase>[0], server: RunningProcess) {
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0, 'the server stopped cleanly')
}

/** Every row of the module's tables in PostgreSQL, as text, to see whether anything changed. */
async function contents (url: string) {
  const users = await adminQuery('select id::text, name, email, created_at from users.users order by id', url)
  const outbox = await adminQuery('select id, name, payload, sent_at::text, sent_epoch from users.outbox order by id', url)
  return { users: users.rows, outbox: outbox.rows }
}

t.test('users written on SQLite are served from PostgreSQL after db:move, with their ids and pending events', async (t) => {
  const dataDir = tempDir(t)
  const target = await withPassword(t)

  const onSqlite = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: dataDir })
  for (const name of ['Ada', 'Grace', 'Linus', 'Edsger']) await createUser(onSqlite, name)
  t.equal((await fetch(`${onSqlite.url}/users/4`, { method: 'DELETE' })).status, 204)
  const before = await getJson(`${onSqlite.url}/users?limit=100`)
  await stop(t, onSqlite)

  // Without Redis and with no subscriber mounted, the relay marked every event sent. One is
  // made pending again, as a relay stopped before Redis acknowledged it would leave it.
  const file = new Database(join(dataDir, 'users.sqlite'))
  t.same(file.prepare('select count(*) as n from outbox where sent_at is null').get(), { n: 0 })
  const pending = file.prepare("update outbox set sent_at = null, sent_epoch = null, claimed_until = null where name = 'user.created' and json_extract(payload, '$.id') = 3").run()
  file.close()
  t.equal(pending.changes, 1, 'the user.created of user 3 is pending')

  // Batches of 2: every table takes more than one.
  const move = await runToEnd('db-move', { DATA_DIR: dataDir }, ['users', target, '--batch', '2'])
  t.equal(move.code, 0, move.stderr)
  t.match(move.stdout, /^users: moved from SQLite .*users\.sqlite to PostgreSQL 127\.0\.0\.1:5432\/cleave_test_\w+ schema users$/m)
  t.match(move.stdout, /^ {2}users: 3 rows$/m)
  t.match(move.stdout, /^ {2}outbox: 5 rows$/m, 'four user.created and one user.deleted')
  t.notMatch(move.stdout + move.stderr, password, 'the password is not printed')

  const onPostgres = await startProcess(t, 'server', { MODULES: 'users,notifications', DATA_DIR: dataDir, USERS_DATABASE_URL: target })
  t.same(await getJson(`${onPostgres.url}/users?limit=100`), before, 'the same users, byte for byte')
  const created = await createUser(onPostgres, 'Barbara')
  t.equal(created.id, 5, 'the next id is past every id SQLite gave, the deleted 4 included')
  const notifications = await until(async () => {
    const list = await getJson<Array<{ userId: number, kind: string }>>(`${onPostgres.url}/notifications`)
    return list.length >= 2 && list
  }, { what: 'two welcome notifications' })
  t.same(notifications.map(({ userId, kind }) => [userId, kind]).sort(), [[3, 'welcome'], [5, 'welcome']],
    'the pending event is delivered; the ones sent on SQLite are not sent again')
  await until(async () => (await adminQuery('select count(*)::int as n from users.outbox where sent_at is null', target)).rows[0].n === 0,
    { what: 'every outbox row sent' })
  await stop(t, onPostgres)

  const moved = await contents(target)
  const again = await runToEnd('db-move', { DATA_DIR: dataDir }, ['users', target])
  t.equal(again.code, 1, 'a second move into the same schema is refused')
  t.match(again.stderr, /^db:move: PostgreSQL 127\.0\.0\.1:5432\/cleave_test_\w+ schema users already holds rows \(users: 4, outbox: 6\): a move only fills an empty schema; nothing was written$/m)
  t.equal(again.stdout, '')
  t.notMatch(again.stdout + again.stderr, password, 'the password is not printed')
  t.same(await contents(target), moved, 'nothing in PostgreSQL changed')
})

t.test('a copy whose counts do not match its source is rolled back, all tables with it', async (t) => {
  const dataDir = tempDir(t)
  const target = await createTestDatabase(t)
  t.equal((await runToEnd('migrate', { MODULES: 'users', DATA_DIR: dataDir })).code, 0)
  const file = new Database(join(dataDir, 'users.sqlite'))
  file.exec(`insert into users (name, email, created_at) values ('Ada', 'ada@example.com', '2026-01-01T00:00:00.000Z');
    insert into outbox (id, name, payload, created_at) values ('evt-a', 'user.created', '{"id":1,"name":"Ada","email":"ada@example.com"}', 1)`)
  file.close()
  t.equal((await runToEnd('migrate', { MODULES: 'users', DATA_DIR: dataDir, USERS_DATABASE_URL: target })).code, 0)
  // A trigger that drops the outbox's rows without an error: only the count check can tell.
  await adminQuery(`create function users.swallow() returns trigger language plpgsql as $$ begin return null; end $$;
    create trigger swallow before insert on users.outbox for each row execute function users.swallow()`, target)

  const move = await runToEnd('db-move', { DATA_DIR: dataDir }, ['users', target])
  t.equal(move.code, 1, move.stdout)
  t.match(move.stderr, /^db:move: the copy does not match its source \(outbox: 1 in SQLite, 0 in PostgreSQL\): rolled back, nothing was written$/m)
  t.same((await adminQuery('select count(*)::int as n from users.users', target)).rows, [{ n: 0 }], 'the users copied before it are gone too')
})

t.test('every column goes over as it was, parents before children', async (t) => {
  const dataDir = tempDir(t)
  const target = await createTestDatabase(t)
  t.equal((await runToEnd('migrate', { MODULES: 'orders,tasks', DATA_DIR: dataDir })).code, 0)
  const orders = new Database(join(dataDir, 'orders.sqlite'))
  orders.exec(`insert into orders (id, user_id, created_at) values (1, 7, '2026-01-01T00:00:00.000Z'), (2, 9007199254740991, '2026-01-02T00:00:00.000Z');
    insert into order_items (order_id, position, sku, qty) values (2, 0, 'sku-c', 5), (1, 0, 'sku-a', 2), (1, 1, 'sku-b', 1)`)
  const orderRows = {
    orders: orders.prepare('select id, user_id, created_at from orders order by id').all(),
    items: orders.prepare('select order_id, position, sku, qty from order_items order by order_id, position').all()
  }
  orders.close()
  const tasks = new Database(join(dataDir, 'tasks.sqlite'))
  tasks.exec(`insert into tasks (id, payload, state, attempts, result, error, created_at, updated_at) values
    ('task-1', '{"z":1,"a":[1.5,{"nested":null}],"text":"é \\" \\\\n"}', 'completed', 1, '{"ok":true}', null, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z'),
    ('task-2', '{"n":-0.25}', 'failed', 3, null, 'gave up', '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:03.000Z');
    insert into processed_events (id, name, processed_at) values ('evt-1', 'task.queued', 1767225600000)`)
  const taskRows = {
    tasks: tasks.prepare('select id, payload, state, attempts, result, error, created_at, updated_at from tasks order by id').all(),
    processed: tasks.prepare('select id, name, processed_at from processed_events').all()
  }
  tasks.close()

  const movedOrders = await runToEnd('db-move', { DATA_DIR: dataDir }, ['orders', target])
  t.equal(movedOrders.code, 0, movedOrders.stderr)
  t.match(movedOrders.stdout, /^ {2}orders: 2 rows\n {2}order_items: 3 rows\n {2}outbox: 0 rows$/m, 'orders before the items that reference them')
  const movedTasks = await runToEnd('db-move', { DATA_DIR: dataDir }, ['tasks', target])
  t.equal(movedTasks.code, 0, movedTasks.stderr)
  t.match(movedTasks.stdout, /^ {2}tasks: 2 rows\n {2}outbox: 0 rows\n {2}processed_events: 1 row$/m)

  // bigint read as a number, json as its text: each compared with what SQLite holds.
  const rows = async (text: string) => (await adminQuery(text, target)).rows
  t.same(await rows('select id::float8 as id, user_id::float8 as user_id, created_at from orders.orders order by id'), orderRows.orders)
  t.same(await rows('select order_id::float8 as order_id, position::float8 as position, sku, qty::float8 as qty from orders.order_items order by order_id, position'), orderRows.items)
  t.same(await rows('select id, payload::text as payload, state, attempts::float8 as attempts, result::text as result, error, created_at, updated_at from tasks.tasks order by id'), taskRows.tasks,
    'JSON keeps its text, key order and all')
  t.same(await rows('select id, name, processed_at::float8 as processed_at from tasks.processed_events'), taskRows.processed)
})

t.test('a move that cannot start says why and touches nothing', async (t) => {
  const empty = tempDir(t)
  const unreachable = `postgres://postgres:${password}@127.0.0.1:1/cleave`
  const cases: Array<[string, string[], RegExp]> = [
    ['no arguments', [], /^db:move: usage: npm run db:move -- <module> <postgres-url> \[--batch <rows>\]$/m],
    ['not a PostgreSQL URL', ['users', `mysql://root:${password}@127.0.0.1/cleave`], /^db:move: the target must be a postgres:\/\/ or postgresql:\/\/ URL with a host \(not shown\)$/m],
    ['a module without tables', ['hello', unreachable], /^db:move: hello keeps no data: nothing to move$/m],
    // Opening it would create an empty file, and moving nothing would look like success.
    ['no SQLite file', ['users', unreachable], /^db:move: users has no SQLite file at .*users\.sqlite \(is DATA_DIR the server's\?\)$/m]
  ]
  for (const [what, args, message] of cases) {
    const run = await runToEnd('db-move', { DATA_DIR: empty }, args)
    t.equal(run.code, 1, what)
    t.match(run.stderr, message, what)
    t.notMatch(run.stdout + run.stderr, password, `${what}: the password is not printed`)
  }
})

t.test('a module whose SQLite file a running server has open is refused, and nothing is written; stopped, it moves', async (t) => {
  const dataDir = tempDir(t)
  const target = await withPassword(t)
  const server = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: dataDir })
  await createUser(server, 'Ada')
  const refused = await runToEnd('db-move', { DATA_DIR: dataDir }, ['users', target])
  t.equal(refused.code, 1)
  t.match(refused.stderr, /^db:move: .*users\.sqlite is open in another process, a server or worker running users: stop it .*nothing was written$/m)
  t.equal(refused.stderr.trim().split('\n').length, 1, 'one line')
  t.same((await adminQuery("select count(*)::int as n from information_schema.tables where table_schema = 'users'", target)).rows, [{ n: 0 }], 'PostgreSQL untouched')
  await stop(t, server)
  const moved = await runToEnd('db-move', { DATA_DIR: dataDir }, ['users', target])
  t.equal(moved.code, 0, moved.stderr)
  t.match(moved.stdout, /users: 1 row/)
})

t.test('rows PostgreSQL would refuse or change are listed by table, column and id, before anything is copied', async (t) => {
  const dataDir = tempDir(t)
  const target = await withPassword(t)
  const server = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: dataDir })
  for (const name of ['Ada', 'Grace', 'Linus']) await createUser(server, name)
  await stop(t, server)
  // What an older version, or a hand, could have left in the file.
  const file = new Database(join(dataDir, 'users.sqlite'))
  file.prepare("update users set name = 'Gr' || char(0) || 'ace' where id = 2").run()
  file.prepare("update users set email = cast(x'6c696eeda080' as text) where id = 3").run()
  file.prepare('update outbox set sent_at = 1.5 where id = (select min(id) from outbox)').run()
  const outboxId = (file.prepare('select min(id) as id from outbox').get() as { id: unknown }).id
  file.close()
  const run = await runToEnd('db-move', { DATA_DIR: dataDir }, ['users', target])
  t.equal(run.code, 1)
  t.match(run.stderr, /^db:move: rows PostgreSQL would refuse or change/m)
  t.match(run.stderr, /users\.name \(a NUL or bytes that are not UTF-8\): 2[;\n]/)
  t.match(run.stderr, /users\.email \(a NUL or bytes that are not UTF-8\): 3/)
  t.match(run.stderr, new RegExp(`outbox\\.sent_at \\(not an integer\\): ${String(outboxId)}`))
  t.notMatch(run.stderr, /Gr.?ace|lin.?@|\n\s+at /, 'no values, no stack')
  t.same((await adminQuery("select count(*)::int as n from information_schema.tables where table_schema = 'users'", target)).rows, [{ n: 0 }], 'PostgreSQL untouched')
})

t.test('a target database or role that does not exist fails at once, in one line', async (t) => {
  const dataDir = tempDir(t)
  const server = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: dataDir })
  await createUser(server, 'Ada')
  await stop(t, server)
  const missing = new URL(await withPassword(t))
  missing.pathname = '/cleave_no_such_database'
  const started = Date.now()
  const run = await runToEnd('db-move', { DATA_DIR: dataDir }, ['users', missing.href])
  t.equal(run.code, 1)
  t.match(run.stderr, /^db:move: users: could not connect to PostgreSQL at .* database "cleave_no_such_database" does not exist$/m)
  t.equal(run.stderr.trim().split('\n').length, 1, 'one line')
  t.notMatch(run.stderr, password)
  t.ok(Date.now() - started < 15_000, `not retried for DATABASE_CONNECT_TIMEOUT_MS (30 s): ${Date.now() - started} ms`)
})
