import t, { type Test } from 'tap'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadConfig } from '../../../src/platform/config/config.js'
import { buildGateway, type GatewayOptions } from '../../../src/platform/app/build-gateway.js'
import { tempDir } from '../../helpers/app.js'
import { resettingServer } from '../../helpers/resetting-server.js'
import { freePort, startProcess, type RunningProcess } from '../../helpers/process.js'
import { lintErrors, redoclyLint } from '../../helpers/redocly.js'
import { startRedis } from '../../helpers/redis.js'
import { until } from '../../helpers/until.js'
import { registry } from '../../helpers/modules.js'

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
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', ...env }, registry), registry, { modules: ['hello', 'users'], ...options })
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

async function healthOf (gateway: string) {
  return await (await fetch(`${gateway}/health`)).json() as { ejected: Record<string, { forMs: number, ejections: number }> }
}

async function metric (gateway: string, name: string, module: string): Promise<number> {
  const text = await (await fetch(`${gateway}/metrics`)).text()
  const sample = text.match(new RegExp(`^${name}\\{target="${module}"\\} (\\d+)$`, 'm'))
  if (!sample) throw new Error(`no ${name} for ${module}`)
  return Number(sample[1])
}

function connectFailures (gateway: string, module: string): Promise<number> {
  return metric(gateway, 'cleave_target_connect_failures_total', module)
}

/** Answers GET /service with `text` on `port`, where a test's instance was refusing connections. */
async function helloServer (t: Test, port: number, text: string): Promise<{ requests: number }> {
  const seen = { requests: 0 }
  const server = createServer((_request, response) => {
    seen.requests++
    response.setHeader('content-type', 'text/plain').end(text)
  })
  server.listen(port, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return seen
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

t.test('any request, POST included, moves to the next instance when no connection could be made', async (t) => {
  const gateway = await startGateway(t, { SERVICE_USERS_URL: `${usersA.url},${await deadUrl()}` })
  // POSTs first, while the dead instance still takes its turn: one of the two meets it.
  const emails = ['one@retry.example', 'two@retry.example']
  const statuses: number[] = []
  for (const email of emails) {
    const res = await fetch(`${gateway}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Retry', email }) })
    statuses.push(res.status)
  }
  t.same(statuses, [201, 201], 'both POSTs created, the one whose turn fell on the dead instance too, its body whole')
  t.equal(await connectFailures(gateway, 'users'), 1, 'one of them met the dead instance')
  t.equal(await metric(gateway, 'cleave_target_instances_ejected', 'users'), 1, 'which is ejected')
  const stored = await (await fetch(`${gateway}/users?limit=100`)).json() as Array<{ email: string }>
  t.same(stored.filter((user) => emails.includes(user.email)).map((user) => user.email).sort(), emails, 'each stored once')

  for (let i = 0; i < 4; i++) t.equal((await fetch(`${gateway}/users`)).status, 200, `GET ${i + 1}`)
  t.equal(await connectFailures(gateway, 'users'), 1, 'the dead instance, ejected, was not tried again')
})

t.test('a POST whose connection broke after it was sent is answered 503, never sent again; a GET is', async (t) => {
  const resetting = await resettingServer(t)
  const gateway = await startGateway(t, { SERVICE_USERS_URL: `${usersA.url},${resetting.url}` })
  const emails = ['one@reset.example', 'two@reset.example']
  const statuses: number[] = []
  for (const email of emails) {
    const res = await fetch(`${gateway}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Reset', email }) })
    statuses.push(res.status)
  }
  t.same(statuses.sort(), [201, 503], 'the POST that met the breaking instance is its outcome')
  t.same(resetting.requests, ['POST /users'], 'sent once')
  const stored = await (await fetch(`${gateway}/users?limit=100`)).json() as Array<{ email: string }>
  t.equal(stored.filter((user) => emails.includes(user.email)).length, 1, 'the other instance never saw it')

  for (let i = 0; i < 2; i++) t.equal((await fetch(`${gateway}/users`)).status, 200, `GET ${i + 1}`)
  const [posts, gets] = ['POST', 'GET'].map((method) => resetting.requests.filter((line) => line.startsWith(`${method} `)).length)
  t.equal(posts, 1, 'no POST was sent to it again')
  t.ok(gets >= 1, `the GETs that met it (${gets}) moved on: every GET answered 200`)
  t.equal(await connectFailures(gateway, 'users'), 0, 'a broken connection ejects nothing')
})

t.test('an instance that accepts no connection is passed over until its ejection ends, then back in turn once it answers', async (t) => {
  const port = await freePort()
  const flaky = `http://127.0.0.1:${port}`
  // Passive health alone: health checks would take the closed port out of rotation for good.
  const gateway = await startGateway(t, { SERVICE_HELLO_URL: `${hello.url},${flaky}`, HEALTH_CHECK_INTERVAL_MS: '0' })
  for (let i = 0; i < 2; i++) t.equal(await (await fetch(`${gateway}/service`)).text(), 'Hello, Microservice!', `request ${i + 1} answered`)
  t.equal(await connectFailures(gateway, 'hello'), 1, 'one of them met the closed port')
  t.match((await healthOf(gateway)).ejected, { [flaky]: { ejections: 1 } })

  const back = await helloServer(t, port, 'Hello from the instance that came back')
  for (let i = 0; i < 6; i++) t.equal(await (await fetch(`${gateway}/service`)).text(), 'Hello, Microservice!', `request ${i + 3}: the ejected instance takes no turn`)
  t.ok((await healthOf(gateway)).ejected[flaky]?.forMs > 0, 'all within its ejection')
  t.equal(back.requests, 0, 'it was not tried')

  await until(async () => (await healthOf(gateway)).ejected[flaky]?.forMs === 0, { what: 'the ejection to end', everyMs: 25 })
  const texts = [await (await fetch(`${gateway}/service`)).text(), await (await fetch(`${gateway}/service`)).text()]
  t.ok(texts.includes('Hello from the instance that came back'), 'its turn again once the ejection ended')
  t.same((await healthOf(gateway)).ejected, {}, 'its answer re-admitted it')
})

t.test('a refused trial ejects an instance for twice as long; when every instance is ejected they are tried anyway', async (t) => {
  const port = await freePort()
  const only = `http://127.0.0.1:${port}`
  const gateway = await startGateway(t, { SERVICE_HELLO_URL: only, HEALTH_CHECK_INTERVAL_MS: '0' })
  const unavailable = { status: 503, body: { code: 'CLV_GATEWAY_UPSTREAM_UNAVAILABLE' } }
  t.match(await problemOf(await fetch(`${gateway}/service`)), unavailable)
  t.match((await healthOf(gateway)).ejected, { [only]: { ejections: 1 } })
  t.ok((await healthOf(gateway)).ejected[only].forMs <= 1000, 'first for a second at most')

  t.match(await problemOf(await fetch(`${gateway}/service`)), unavailable, 'the only instance, ejected, is still tried')
  t.equal(await connectFailures(gateway, 'hello'), 2, 'it was: a second connection attempt')
  t.match((await healthOf(gateway)).ejected, { [only]: { ejections: 1 } }, 'within the ejection, a refusal does not lengthen it')

  await until(async () => (await healthOf(gateway)).ejected[only]?.forMs === 0, { what: 'the ejection to end', everyMs: 25 })
  t.match(await problemOf(await fetch(`${gateway}/service`)), unavailable, 'its trial is refused')
  const again = (await healthOf(gateway)).ejected[only]
  t.equal(again.ejections, 2)
  t.ok(again.forMs > 1000 && again.forMs <= 2000, `ejected again for two seconds (${again.forMs} ms left)`)

  await helloServer(t, port, 'Hello again')
  t.equal(await (await fetch(`${gateway}/service`)).text(), 'Hello again', 'back within its ejection: tried anyway, answered')
  t.same((await healthOf(gateway)).ejected, {}, 'and re-admitted')
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
