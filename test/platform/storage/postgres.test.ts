// PostgreSQL as a module's database: settings, schemas, start-up against a server that is not
// there, and a server lost and found again while serving. The module and API suites run on
// PostgreSQL in the dialect matrix (scripts/run-tests.ts); this file covers what only PostgreSQL has.
import t from 'tap'
import { ConfigError, loadConfig } from '../../../src/platform/config/config.js'
import { buildTestApp, tempDir } from '../../helpers/app.js'
import { adminQuery, createTestDatabase } from '../../helpers/database.js'
import { freePort, runToEnd, startProcess } from '../../helpers/process.js'
import { startTcpProxy } from '../../helpers/tcp-proxy.js'
import { until } from '../../helpers/until.js'
import { registry } from '../../helpers/modules.js'

const password = 's3cret-Pa55word'

function withPassword (url: string, port?: number): string {
  const parsed = new URL(url)
  parsed.password = password
  if (port) parsed.port = String(port)
  return parsed.toString()
}

function configProblems (env: Record<string, string>): string {
  try {
    loadConfig({ DATA_DIR: '/tmp/unused', ...env }, registry)
  } catch (error) {
    if (error instanceof ConfigError) return error.message
    throw error
  }
  return ''
}

t.test('a bad database URL is a ConfigError naming the key, never showing the URL', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ DATABASE_URL: `mysql://app:${password}@db/x` }, /DATABASE_URL: expected a postgres:\/\/ or postgresql:\/\/ URL with a host, got a mysql: URL \(not shown\)/],
    [{ USERS_DATABASE_URL: `postgres//app:${password}@db/x` }, /USERS_DATABASE_URL: expected .*, got a value of \d+ characters that is not a URL \(not shown\)/],
    [{ ORDERS_DATABASE_URL: `postgres:///x?password=${password}` }, /ORDERS_DATABASE_URL: expected .*, got a postgres: URL with no host \(not shown\)/]
  ]
  for (const [env, expected] of cases) {
    const message = configProblems(env)
    t.match(message, expected)
    t.notMatch(message, password, 'the password is not in the error')
  }
  t.equal(configProblems({ DATABASE_URL: 'postgresql://db.internal:6543/app' }), '', 'postgresql:// is accepted too')
})

t.test('USERS_DATABASE_URL wins over DATABASE_URL; a module without either stays on SQLite', async (t) => {
  const config = loadConfig({ DATABASE_URL: 'postgres://shared/app', USERS_DATABASE_URL: 'postgres://own/users', DATA_DIR: '/tmp/unused' }, registry)
  t.equal(config.databaseUrls.users, 'postgres://own/users')
  t.equal(config.databaseUrls.orders, 'postgres://shared/app')
  t.same(loadConfig({ DATA_DIR: '/tmp/unused' }, registry).databaseUrls, {}, 'unset: every module on SQLite')
})

t.test('mixed: users and orders in PostgreSQL schemas of their own, tasks and notifications on SQLite, one process', async (t) => {
  const url = await createTestDatabase(t)
  const app = await buildTestApp(t, { env: { USERS_DATABASE_URL: url, ORDERS_DATABASE_URL: url } })
  t.same(Object.fromEntries(['users', 'orders', 'tasks', 'notifications'].map((module) => [module, app.databases.get(module)?.dialect])),
    { users: 'postgres', orders: 'postgres', tasks: 'sqlite', notifications: 'sqlite' })

  const user = await app.inject({ method: 'POST', url: '/users', payload: { name: 'Ada', email: 'Ada@Example.com' } })
  t.equal(user.statusCode, 201)
  t.equal((await app.inject({ method: 'POST', url: '/users', payload: { name: 'Ada again', email: 'ada@example.COM' } })).statusCode, 409, 'email unique whatever its case')
  t.equal((await app.inject({ method: 'POST', url: '/orders', payload: { userId: user.json().id, items: [{ sku: 'A', qty: 2 }] } })).statusCode, 201)
  await until(async () => (await app.inject('/notifications')).json().length === 2, { what: 'a welcome and an order confirmation, handled on SQLite' })

  const { rows } = await adminQuery('select table_schema, table_name from information_schema.tables where table_schema not in (\'pg_catalog\', \'information_schema\') order by 1, 2', url)
  t.same(rows.map((row) => `${row.table_schema}.${row.table_name}`), [
    'orders.__drizzle_migrations', 'orders.order_items', 'orders.orders', 'orders.outbox',
    'users.__drizzle_migrations', 'users.outbox', 'users.users'
  ], 'each module\'s tables and its own migrations table in its own schema; nothing in public or drizzle')
  const { rows: users } = await adminQuery('select id, name, email from users.users', url)
  t.same(users, [{ id: 1, name: 'Ada', email: 'Ada@Example.com' }], 'the row, as psql sees it')
})

t.test('npm run migrate applies every module\'s migrations in its own schema, without serving', async (t) => {
  const url = await createTestDatabase(t)
  const { code, stdout } = await runToEnd('migrate', { MODULES: 'users,orders', DATA_DIR: tempDir(t), DATABASE_URL: withPassword(url), LOG_LEVEL: 'warn' })
  t.equal(code, 0)
  t.match(stdout, /^users: migrated \(PostgreSQL 127\.0\.0\.1:5432\/cleave_test_\w+ schema users\)$/m)
  t.match(stdout, /^orders: migrated /m)
  t.notMatch(stdout, password)
  const { rows } = await adminQuery("select table_schema from information_schema.tables where table_name = '__drizzle_migrations' order by 1", url)
  t.same(rows.map((row) => row.table_schema), ['orders', 'users'])
})

t.test('PostgreSQL not there at start: each try logged with host and module, then exit 1 with one line; no password anywhere', async (t) => {
  const closedPort = await freePort()
  const url = withPassword('postgres://postgres@127.0.0.1/nowhere', closedPort)
  const started = Date.now()
  // Past Fastify's own 10 s plugin timeout: the connect budget is the setting's, not Fastify's.
  const { code, stdout, stderr } = await runToEnd('server', { MODULES: 'users', DATA_DIR: tempDir(t), DATABASE_URL: url, DATABASE_CONNECT_TIMEOUT_MS: '12000', LOG_LEVEL: 'info' })
  t.equal(code, 1)
  t.ok(Date.now() - started > 11_000, 'kept trying for the whole DATABASE_CONNECT_TIMEOUT_MS')
  t.ok(Date.now() - started < 40_000, 'gave up after about the timeout')
  const tries = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line)).filter((line) => line.msg === 'database: cannot connect yet; retrying')
  t.ok(tries.length >= 3, `${tries.length} tries logged`)
  t.match(tries[0], { module: 'users', database: `PostgreSQL 127.0.0.1:${closedPort}/nowhere schema users`, attempt: 1, reason: /ECONNREFUSED/ })
  t.match(stderr.trim().split('\n').at(-1), new RegExp(`^users: could not connect to PostgreSQL at PostgreSQL 127\\.0\\.0\\.1:${closedPort}/nowhere schema users within \\d+ ms: .*ECONNREFUSED`))
  t.equal(stderr.trim().split('\n').length, 1, 'one line, no stack')
  t.notMatch(stdout + stderr, password)
})

t.test('PostgreSQL lost while serving: 503 problems and not ready, then whole again by itself; nothing acknowledged is lost', async (t) => {
  const database = new URL(await createTestDatabase(t))
  const proxy = await startTcpProxy(t, { host: database.hostname, port: Number(database.port) })
  const url = withPassword(database.toString(), proxy.port)
  const server = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: tempDir(t), DATABASE_URL: url, DATABASE_POOL_MAX: '4' })
  const acknowledged: number[] = []
  const statuses = new Map<number, number>()
  let problems = 0
  const traffic = { running: true }
  let i = 0
  const load = (async () => {
    while (traffic.running) {
      i++
      const res = await fetch(`${server.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `U${i}`, email: `u${i}@example.com` }) })
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      const body = await res.json() as { id?: number, code?: string }
      if (res.status === 201) acknowledged.push(body.id!)
      else if (res.status === 503 && body.code === 'CLV_DATABASE_UNAVAILABLE' && res.headers.get('content-type')?.startsWith('application/problem+json')) problems++
    }
  })()

  await until(() => acknowledged.length >= 20, { what: 'users created before the cut' })
  // The server ends the app's connections, as an administrator or a failover would.
  await adminQuery("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'cleave:users'")
  await until(() => acknowledged.length >= 40, { what: 'users created after the connections were ended' })

  await proxy.cut()
  await until(() => problems >= 5, { what: '503s while the database is gone' })
  const ready = await fetch(`${server.url}/health/ready`)
  t.equal(ready.status, 503)
  const report = await ready.json() as { checks: Record<string, string> }
  t.match(report.checks['users-db'], /^PostgreSQL 127\.0\.0\.1:\d+\/cleave_test_\w+ schema users is unavailable: /, 'readiness names the database')
  const health = await (await fetch(`${server.url}/health`)).text()
  t.notMatch(health, password, '/health shows no password')

  await proxy.restore()
  const before = acknowledged.length
  await until(() => acknowledged.length >= before + 20, { what: 'users created again, with no restart' })
  t.equal((await fetch(`${server.url}/health/ready`)).status, 200, 'ready again')
  traffic.running = false
  await load

  t.notOk(statuses.has(500), `no 500 (${JSON.stringify(Object.fromEntries(statuses))})`)
  t.same([...statuses.keys()].filter((status) => status !== 201 && status !== 503), [], 'only 201s and 503s')
  const { rows } = await adminQuery('select id from users.users', database.toString())
  const stored = new Set(rows.map((row) => Number(row.id)))
  t.same(acknowledged.filter((id) => !stored.has(id)), [], `every one of the ${acknowledged.length} acknowledged users is stored`)
  const lines = server.logs.map((line) => JSON.stringify(line)).join('\n')
  t.notMatch(lines, password, 'no log line shows the password')
})

t.test('a connection lost just as a transaction begins goes back to the pool: more such losses than the pool holds, and requests still get connections', async (t) => {
  const database = new URL(await createTestDatabase(t))
  const proxy = await startTcpProxy(t, { host: database.hostname, port: Number(database.port) })
  // Only users, its relay polling once in the test's life: once a request's event is marked sent,
  // the next request's queries are the only ones.
  const app = await buildTestApp(t, { modules: ['users'], env: { USERS_DATABASE_URL: withPassword(database.toString(), proxy.port), DATABASE_POOL_MAX: '2', RELAY_INTERVAL_MS: '600000' } })
  const allSent = async () => (await adminQuery('select count(*)::int as n from users.outbox where sent_at is null', database.toString())).rows[0].n === 0
  let i = 0
  const create = () => app.inject({ method: 'POST', url: '/users', payload: { name: `U${++i}`, email: `u${i}@example.com` } })
  for (let round = 1; round <= 4; round++) {
    t.equal((await create()).statusCode, 201, `round ${round}: a user created on a connection of the pool`)
    await until(allSent, { what: 'its event marked sent' })
    // That connection, idle in the pool now, is cut as the next request sends its BEGIN.
    const broken = proxy.breakNext()
    const failed = await create()
    await broken
    t.match({ status: failed.statusCode, code: failed.json().code }, { status: 503, code: 'CLV_DATABASE_UNAVAILABLE' }, `round ${round}: the request whose BEGIN was lost`)
  }
  for (let n = 1; n <= 3; n++) t.equal((await create()).statusCode, 201, 'more losses than the pool holds, and requests still get a connection')
})
