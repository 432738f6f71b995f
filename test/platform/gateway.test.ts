import t, { type Test } from 'tap'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadConfig } from '../../src/platform/config/config.js'
import { buildGateway, type GatewayOptions } from '../../src/platform/gateway/gateway.js'
import { tempDir } from '../helpers/app.js'
import { freePort, startProcess, type RunningProcess } from '../helpers/process.js'
import { lintErrors, redoclyLint } from '../helpers/redocly.js'
import { startRedis } from '../helpers/redis.js'
import { until } from '../helpers/until.js'

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

// Real services, shared by the tests below: two users instances on one database (SQLite WAL
// allows it) and one hello. Migrations run on start, so the second users instance starts after the first.
const usersData = tempDir(t)
const [usersA, hello] = await Promise.all([
  startProcess(t, 'server', { MODULES: 'users', DATA_DIR: usersData }),
  startProcess(t, 'server', { MODULES: 'hello', DATA_DIR: tempDir(t) })
])
const usersB = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: usersData })

async function startGateway (t: Test, env: Record<string, string>, options: GatewayOptions = {}): Promise<string> {
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', ...env }), { modules: ['hello', 'users'], ...options })
  t.teardown(() => gateway.close())
  await gateway.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`
}

/** Nothing listens there: connections are refused. */
async function deadUrl (): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`
}

// Services log asynchronously: wait until each id has an access line at one of them, then
// give each service's lines for those ids.
async function accessLines (services: RunningProcess[], reqIds: string[]): Promise<Array<Array<Record<string, unknown>>>> {
  const linesOf = (service: RunningProcess) => service.logs.filter((line) => line.msg === 'request' && reqIds.includes(line.reqId as string))
  await until(() => {
    const seen = new Set(services.flatMap(linesOf).map((line) => line.reqId))
    return reqIds.every((id) => seen.has(id))
  }, { everyMs: 25, what: `access lines of ${reqIds.join(', ')}` })
  return services.map(linesOf)
}

async function problemOf (res: Response) {
  return { status: res.status, type: res.headers.get('content-type'), body: await res.json() as Record<string, unknown> }
}

t.test('requests to a module prefix reach the module; its responses pass through unchanged', async (t) => {
  const gateway = await startGateway(t, { SERVICE_USERS_URL: usersA.url, SERVICE_HELLO_URL: hello.url })

  const greeting = await fetch(`${gateway}/service`)
  t.equal(greeting.status, 200)
  t.match(greeting.headers.get('content-type'), /^text\/plain/)
  t.equal(await greeting.text(), 'Hello, Microservice!')

  const created = await fetch(`${gateway}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'gw-create-1' },
    body: JSON.stringify({ name: 'Ada', email: 'ada@gateway.example' })
  })
  t.equal(created.status, 201)
  t.match(created.headers.get('content-type'), /^application\/json/)
  const user = await created.json() as { id: number, name: string }
  t.equal(created.headers.get('location'), `/users/${user.id}`)
  t.equal(created.headers.get('x-request-id'), 'gw-create-1')

  const fetched = await fetch(`${gateway}${created.headers.get('location')}`)
  t.equal(fetched.status, 200)
  t.match(await fetched.json(), { id: user.id, name: 'Ada', email: 'ada@gateway.example' })

  const page = await fetch(`${gateway}/users?limit=1&cursor=0`)
  t.equal((await page.json() as unknown[]).length, 1, 'the query string is forwarded')

  const renamed = await fetch(`${gateway}/users/${user.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada L.' }) })
  t.match(await renamed.json(), { name: 'Ada L.' })
  const head = await fetch(`${gateway}/users/${user.id}`, { method: 'HEAD' })
  t.equal(head.status, 200)

  const missing = await problemOf(await fetch(`${gateway}/users/999999`, { headers: { 'x-request-id': 'gw-missing-1' } }))
  t.match(missing, { status: 404, type: /^application\/problem\+json/, body: { code: 'CLV_USERS_NOT_FOUND', instance: '/users/999999', requestId: 'gw-missing-1' } }, 'the service\'s problem, as it sent it')

  const invalid = await problemOf(await fetch(`${gateway}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 42 }) }))
  t.match(invalid, { status: 400, type: /^application\/problem\+json/, body: { code: 'CLV_VALIDATION' } }, 'the body reaches the service unparsed, and it validates it')

  const text = await fetch(`${gateway}/users`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'Ada' })
  t.equal(text.status, 415, 'the service, not the gateway, decides which media types it takes')

  t.equal((await fetch(`${gateway}/users/${user.id}`, { method: 'DELETE' })).status, 204)
  t.match((await accessLines([usersA], ['gw-create-1']))[0], [{ method: 'POST', url: '/users', status: 201 }], 'the service saw the request under the client\'s id')
})

t.test('the request id is the client\'s when acceptable, else one the gateway makes; the service gets the same', async (t) => {
  const gateway = await startGateway(t, { SERVICE_USERS_URL: usersA.url })

  const given = await fetch(`${gateway}/users`, { headers: { 'x-request-id': 'gw-given-1' } })
  t.equal(given.headers.get('x-request-id'), 'gw-given-1')

  for (const headers of [{}, { 'x-request-id': 'not acceptable!' }] as Array<Record<string, string>>) {
    const res = await fetch(`${gateway}/users`, { headers })
    const id = res.headers.get('x-request-id') ?? ''
    t.match(id, uuid, 'generated at the gateway')
    t.equal((await accessLines([usersA], [id]))[0].length, 1, 'forwarded to the service, which kept it')
  }
  t.equal((await accessLines([usersA], ['gw-given-1']))[0].length, 1)
})

t.test('requests are balanced round-robin across the instances of a module', async (t) => {
  const gateway = await startGateway(t, { SERVICE_USERS_URL: `${usersA.url},${usersB.url}` })
  const ids = ['gw-rr-1', 'gw-rr-2', 'gw-rr-3', 'gw-rr-4']
  for (const id of ids) t.equal((await fetch(`${gateway}/users`, { headers: { 'x-request-id': id } })).status, 200)
  const [a, b] = await accessLines([usersA, usersB], ids)
  t.equal(a.length, 2, 'the first instance served half')
  t.equal(b.length, 2, 'the second instance served half')
  t.same(new Set([...a, ...b].map((line) => line.reqId)), new Set(ids), 'each request was served once')
})

t.test('a module with no known instance answers 503 problem+json; the gateway stays ready', async (t) => {
  const gateway = await startGateway(t, { SERVICE_HELLO_URL: hello.url })
  const started = Date.now()
  const problem = await problemOf(await fetch(`${gateway}/users/1`, { headers: { 'x-request-id': 'gw-none-1' } }))
  t.ok(Date.now() - started < 1000, 'at once')
  t.match(problem, {
    status: 503,
    type: /^application\/problem\+json/,
    body: { code: 'CLV_GATEWAY_NO_UPSTREAM', detail: 'No instance of module users is known', instance: '/users/1', requestId: 'gw-none-1' }
  })
  t.equal((await fetch(`${gateway}/service`)).status, 200, 'other modules still answer')
  t.equal((await fetch(`${gateway}/health/live`)).status, 200)
  t.match(await (await fetch(`${gateway}/health/ready`)).json(), { status: 'ok', checks: { discovery: 'ok' } })
})

t.test('unknown paths are 404 problem+json from the gateway itself', async (t) => {
  const gateway = await startGateway(t, { SERVICE_USERS_URL: usersA.url, SERVICE_HELLO_URL: hello.url })
  for (const path of ['/nope', '/usersx', '/servicex/1']) {
    t.match(await problemOf(await fetch(`${gateway}${path}`)), { status: 404, type: /^application\/problem\+json/, body: { code: 'CLV_ROUTE_NOT_FOUND' } }, path)
  }
})

t.test('an instance that was killed answers 503 problem+json quickly', async (t) => {
  const doomed = await startProcess(t, 'server', { MODULES: 'hello', DATA_DIR: tempDir(t) })
  const gateway = await startGateway(t, { SERVICE_HELLO_URL: doomed.url })
  t.equal((await fetch(`${gateway}/service`)).status, 200, 'a pooled connection is open')

  doomed.child.kill('SIGKILL')
  await doomed.exited
  for (const attempt of [1, 2]) {
    const started = Date.now()
    const problem = await problemOf(await fetch(`${gateway}/service`))
    t.ok(Date.now() - started < 1000, `attempt ${attempt} answered in under a second`)
    t.match(problem, { status: 503, type: /^application\/problem\+json/, body: { code: 'CLV_GATEWAY_UPSTREAM_UNAVAILABLE', detail: 'Module hello could not be reached' } })
  }
})

t.test('an idempotent request moves to the next instance when one is unreachable; others do not', async (t) => {
  const gateway = await startGateway(t, { SERVICE_USERS_URL: `${usersA.url},${await deadUrl()}` })
  for (let i = 0; i < 4; i++) t.equal((await fetch(`${gateway}/users`)).status, 200, `GET ${i + 1}`)

  const statuses: number[] = []
  for (const email of ['one@retry.example', 'two@retry.example']) {
    const res = await fetch(`${gateway}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Retry', email }) })
    statuses.push(res.status)
  }
  t.same(statuses.sort(), [201, 503], 'a POST is sent once: the one whose turn fell on the dead instance failed')
})

t.test('an instance that does not answer in time gives 504 problem+json, not a hang', async (t) => {
  const silent = createServer(() => {})
  silent.listen(0, '127.0.0.1')
  await once(silent, 'listening')
  t.teardown(() => {
    silent.closeAllConnections()
    silent.close()
  })
  const gateway = await startGateway(t, { SERVICE_HELLO_URL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` }, { upstreamTimeoutMs: 300 })
  const started = Date.now()
  const problem = await problemOf(await fetch(`${gateway}/service`))
  t.ok(Date.now() - started < 1500, 'bounded by the upstream timeout')
  t.match(problem, { status: 504, type: /^application\/problem\+json/, body: { code: 'CLV_GATEWAY_UPSTREAM_TIMEOUT' } })
})

t.test('with Redis discovery, instances that come and go are followed at run time', async (t) => {
  const redis = await startRedis(t)
  const discovery = { DISCOVERY: 'redis', REDIS_URL: redis.url, REDIS_PREFIX: 'gateway-test:' }
  const gateway = await startGateway(t, discovery)
  t.equal((await problemOf(await fetch(`${gateway}/service`))).body.code, 'CLV_GATEWAY_NO_UPSTREAM', 'nothing registered yet')

  const instance = await startProcess(t, 'server', { MODULES: 'hello', DATA_DIR: tempDir(t), ...discovery })
  t.ok(await until(async () => (await fetch(`${gateway}/service`)).status === 200, { what: 'the instance routed' }), 'routed once the instance registered')

  instance.child.kill('SIGTERM')
  t.equal(await instance.exited, 0)
  t.ok(await until(async () => (await problemOf(await fetch(`${gateway}/service`))).body.code === 'CLV_GATEWAY_NO_UPSTREAM', { what: 'the instance dropped' }), 'dropped once it withdrew')
})

t.test('/docs/json merges the services\' documents; /docs shows it', async (t) => {
  const gateway = await startGateway(t, { SERVICE_USERS_URL: usersA.url, SERVICE_HELLO_URL: hello.url })
  const res = await fetch(`${gateway}/docs/json`)
  t.equal(res.status, 200)
  const doc = await res.json() as { openapi: string, info: { description: string }, paths: Record<string, Record<string, { operationId?: string, responses: Record<string, unknown> }>>, components: { schemas: Record<string, unknown> } }
  t.match(doc.openapi, /^3\./)
  t.ok(doc.paths['/users'].get && doc.paths['/users'].post, '/users')
  t.equal(doc.paths['/users/{id}'].get.operationId, 'users.getUser')
  t.equal(doc.paths['/service'].get.operationId, 'hello.getService')
  t.ok(doc.paths['/health/ready'].get, 'the gateway\'s own health routes')
  t.same(Object.keys(doc.paths).filter((path) => !/^\/(users|service|health)(\/|$)/.test(path)), [], 'only module prefixes and the gateway\'s own routes')
  t.ok(doc.components.schemas.Problem, 'Problem is one shared schema')
  t.same(Object.keys(doc.components.schemas), ['Problem'], 'identical schemas are not repeated')
  t.notMatch(doc.info.description, /Not listed/)

  const page = await fetch(`${gateway}/docs`)
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /^text\/html/)
  t.match(await page.text(), /swagger-ui/i)
})

t.test('the merged document shows module operations as the gateway serves them, and Redocly finds no error in it', async (t) => {
  // The services run with a secret, the gateway signs for its clients: at the edge no token is asked.
  const secret = { SERVICE_SECRET: 'a-secret-of-enough-length-for-tests' }
  const [signedUsers, signedHello] = await Promise.all([
    startProcess(t, 'server', { MODULES: 'users', DATA_DIR: tempDir(t), ...secret }),
    startProcess(t, 'server', { MODULES: 'hello', DATA_DIR: tempDir(t), ...secret })
  ])
  const gateway = await startGateway(t, { SERVICE_USERS_URL: signedUsers.url, SERVICE_HELLO_URL: signedHello.url, ...secret })
  const doc = await (await fetch(`${gateway}/docs/json`)).json() as { paths: Record<string, Record<string, { security?: unknown[], responses: Record<string, { headers?: Record<string, unknown> }> }>> }
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      t.same(operation.security, [], `${method} ${path}: no token at the edge`)
      if (path.startsWith('/health')) continue
      t.notOk(operation.responses['401'], `${method} ${path}: the service's 401 is not the client's`)
      t.ok(['429', '502', '503', '504'].every((status) => operation.responses[status]), `${method} ${path}: the gateway's own refusals`)
    }
  }
  t.ok(doc.paths['/users'].post.responses['201'].headers?.Location, 'Location survives the merge')
  const result = await redoclyLint(t, doc)
  t.same(lintErrors(result), [], `no errors (${result.totals.warnings} warnings)`)
})

t.test('/docs/json still lists the modules that answer when one is down', async (t) => {
  const gateway = await startGateway(t, { SERVICE_USERS_URL: usersA.url, SERVICE_HELLO_URL: await deadUrl() })
  const doc = await (await fetch(`${gateway}/docs/json`)).json() as { info: { description: string }, paths: Record<string, unknown>, components: { schemas: Record<string, unknown> } }
  t.ok(doc.paths['/users/{id}'])
  t.notOk(doc.paths['/service'])
  t.ok(doc.components.schemas.Problem)
  t.match(doc.info.description, /no instance answered: hello/)
})

t.test('bin/gateway routes, logs as the gateway, and exits 0 on SIGTERM', async (t) => {
  const gateway = await startProcess(t, 'gateway', { MODULES: 'hello,users', SERVICE_HELLO_URL: hello.url, SERVICE_USERS_URL: usersA.url })
  const res = await fetch(`${gateway.url}/service`, { headers: { 'x-request-id': 'gw-bin-1' } })
  t.equal(await res.text(), 'Hello, Microservice!')
  gateway.child.kill('SIGTERM')
  t.equal(await gateway.exited, 0)
  t.match(gateway.logs.find((line) => line.reqId === 'gw-bin-1'), { service: 'cleave:gateway', route: '/service', status: 200, msg: 'request' })
})
