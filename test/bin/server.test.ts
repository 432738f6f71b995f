import t from 'tap'
import Database from 'better-sqlite3'
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { once } from 'node:events'
import { join } from 'node:path'
import { tempDir } from '../helpers/app.js'
import { runToEnd, startProcess } from '../helpers/process.js'
import { registry } from '../helpers/modules.js'

t.test('MODULES=users serves users and the platform, not /service', async (t) => {
  const server = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: tempDir(t) })
  const created = await fetch(`${server.url}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'it-1' },
    body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' })
  })
  t.equal(created.status, 201)
  t.equal(created.headers.get('location'), '/users/1')
  t.equal(created.headers.get('x-request-id'), 'it-1')
  const users = await (await fetch(`${server.url}/users`)).json() as Array<{ name: string }>
  t.same(users.map((user) => user.name), ['Ada'])
  t.equal((await fetch(`${server.url}/service`)).status, 404)
  t.equal((await fetch(`${server.url}/health/ready`)).status, 200)

  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)
  const line = server.logs.find((entry) => entry.reqId === 'it-1')
  t.match(line, { service: 'cleave:users', method: 'POST', url: '/users', route: '/users', status: 201, msg: 'request' }, 'one access line with the request id')
  t.equal(server.logs.filter((entry) => entry.reqId === 'it-1').length, 1, 'exactly one line per request')
})

t.test('MODULES=all (the default) serves every module', async (t) => {
  const server = await startProcess(t, 'server', { DATA_DIR: tempDir(t), MODULES: '' })
  const hello = await fetch(`${server.url}/service`)
  t.equal(hello.status, 200)
  t.equal(await hello.text(), 'Hello, Microservice!')
  t.equal((await fetch(`${server.url}/users/7`)).status, 404)
  t.match(server.logs[0], { service: `cleave:${registry.names.join('+')}` })
})

t.test('LOG_LEVEL=warn writes no per-request line', async (t) => {
  const server = await startProcess(t, 'server', { DATA_DIR: tempDir(t), LOG_LEVEL: 'warn', MODULES: 'hello' })
  t.equal((await fetch(`${server.url}/service`)).status, 200)
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)
  t.same(server.logs.filter((entry) => entry.msg === 'request'), [])
})

t.test('SIGTERM lets an in-flight request finish, then closes the databases and exits 0', async (t) => {
  const dataDir = tempDir(t)
  const server = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: dataDir })
  const { port } = new URL(server.url)
  const body = JSON.stringify({ name: 'Slow', email: 'slow@example.com' })
  const socket = connect(Number(port), '127.0.0.1')
  await once(socket, 'connect')
  let response = ''
  socket.on('data', (chunk) => { response += chunk })
  socket.write(`POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`)
  await new Promise((resolve) => setTimeout(resolve, 200))

  server.child.kill('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(server.child.exitCode, null, 'still running while a request is in flight')
  await fetch(`${server.url}/health/live`).then(
    () => t.fail('a new connection was accepted during shutdown'),
    () => t.pass('new connections are refused during shutdown')
  )

  socket.write(body.slice(10))
  t.equal(await server.exited, 0)
  t.match(response, /^HTTP\/1\.1 201 Created/)
  t.ok(server.logs.some((entry) => entry.msg === 'shutting down' && entry.signal === 'SIGTERM'))
  t.notOk(existsSync(join(dataDir, 'users.sqlite-wal')), 'the database was closed cleanly (WAL checkpointed)')
  const db = new Database(join(dataDir, 'users.sqlite'), { readonly: true })
  t.teardown(() => db.close())
  t.same(db.prepare('select name from users').all(), [{ name: 'Slow' }], 'the in-flight write is stored')
})

t.test('a bad configuration stops start-up with every bad key named', async (t) => {
  const { code, stderr } = await runToEnd('server', { PORT: 'x', MODULES: 'users,nope', LOG_LEVEL: 'info' })
  t.equal(code, 1)
  t.match(stderr, /Invalid configuration/)
  t.match(stderr, /PORT: expected an integer/)
  t.match(stderr, /MODULES: unknown module "nope"/)
  t.notMatch(stderr, /at .*\.ts:\d+/, 'no stack trace')
})

t.test('a module alone that cannot reach what it calls stops start-up, saying what to set', async (t) => {
  const { code, stderr } = await runToEnd('server', { MODULES: 'orders', LOG_LEVEL: 'info' })
  t.equal(code, 1)
  t.equal(stderr.trim(), 'Invalid configuration:\n  - SERVICE_USERS_URL: orders calls users, which this process does not mount: set SERVICE_USERS_URL (or DISCOVERY=redis), or add users to MODULES')
})

t.test('migrate applies each selected module\'s migrations', async (t) => {
  const dataDir = tempDir(t)
  const { code, stdout } = await runToEnd('migrate', { DATA_DIR: dataDir, MODULES: 'all' })
  t.equal(code, 0)
  t.match(stdout, /users: migrated/)
  t.notMatch(stdout, /hello/, 'a module without storage has nothing to migrate')
  const db = new Database(join(dataDir, 'users.sqlite'), { readonly: true })
  t.teardown(() => db.close())
  t.ok(db.prepare("select name from sqlite_master where type = 'table' and name = 'users'").get())
})
