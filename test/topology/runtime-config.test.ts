import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { tempDir } from '../helpers/app.js'
import { freePort, logLine, startProcess, type RunningProcess } from '../helpers/process.js'
import { startRedis } from '../helpers/redis.js'
import { until } from '../helpers/until.js'

const token = 'fleet-admin-token-0123456789'
const admin = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }

interface View { version: number, values: { logLevel: string, rateLimit: { max: number }, features: Record<string, boolean> } }

async function view (server: RunningProcess): Promise<View> {
  return (await fetch(`${server.url}/admin/config`, { headers: admin })).json() as Promise<View>
}

function patch (server: RunningProcess, body: unknown) {
  return fetch(`${server.url}/admin/config`, { method: 'PATCH', headers: admin, body: JSON.stringify(body) })
}

// Requests are told apart by their x-request-id: a query string the route does not declare is refused.
function hello (server: RunningProcess, phase: string) {
  return fetch(`${server.url}/service`, { headers: { 'x-request-id': phase } })
}

function accessLines (server: RunningProcess, phase: string) {
  return server.logs.filter((line) => line.msg === 'request' && line.reqId === phase)
}

async function fleet (t: Test) {
  const redis = await startRedis(t)
  const env = { REDIS_URL: redis.url, REDIS_PREFIX: `cleave-test-${randomUUID()}:`, ADMIN_TOKEN: token, MODULES: 'hello', LOG_LEVEL: 'info', WORKERS: 'false' }
  const start = () => startProcess(t, 'server', { ...env, DATA_DIR: tempDir(t) })
  return { redis, start }
}

t.test('a change made on one instance reaches every instance, and a new one starts with it', async (t) => {
  const { start } = await fleet(t)
  const [a, b] = await Promise.all([start(), start()])
  await hello(b, 'before')
  await until(() => accessLines(b, 'before').length === 1, { what: 'the access log line at info' })

  const changed = await patch(a, { logLevel: 'warn', rateLimit: { max: 2 }, features: { beta: true } })
  t.equal(changed.status, 200)
  t.equal(((await changed.json()) as View).version, 1)
  const seen = await until(async () => { const current = await view(b); return current.version === 1 && current }, { what: 'instance b to see version 1' })
  t.match(seen.values, { logLevel: 'warn', rateLimit: { max: 2 }, features: { beta: true } })

  // Applied, not only shown: b limits, with counters shared through Redis, and stops access logging.
  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push((await hello(b, 'during')).status)
  t.same(statuses, [200, 200, 429])
  const limited = await hello(a, 'during')
  t.equal(limited.status, 429, 'the count is fleet-wide')
  t.match(await limited.json(), { code: 'CLV_RATE_LIMITED', limit: 2 })
  t.ok(Number(limited.headers.get('retry-after')) > 0)

  const c = await start()
  t.match(await view(c), { version: 1, values: { logLevel: 'warn', rateLimit: { max: 2 }, features: { beta: true } } }, 'a new instance starts with the current values')
  t.equal((await hello(c, 'during')).status, 429, 'and applies them')

  t.equal((await patch(c, { logLevel: null, rateLimit: null })).status, 200)
  await until(async () => (await view(b)).version === 2, { what: 'instance b to see version 2' })
  t.equal((await hello(b, 'after')).status, 200)
  await until(() => accessLines(b, 'after').length === 1, { what: 'the access log line once back at info' })
  // Lines of one process arrive in order: any line for the requests at warn would be here by now.
  t.same(accessLines(b, 'during'), [], 'no access log line while at warn')
  for (const server of [a, b, c]) {
    t.notOk(server.logs.some((line) => JSON.stringify(line).includes(token)), 'the token is never logged')
  }
})

t.test('an invalid change is refused whole and nothing changes anywhere', async (t) => {
  const { start } = await fleet(t)
  const [a, b] = await Promise.all([start(), start()])
  t.equal((await patch(a, { features: { beta: true } })).status, 200)
  await until(async () => (await view(b)).version === 1, { what: 'instance b to see version 1' })
  const bad = await patch(b, { logLevel: 'warn', rateLimit: { max: -1 }, colour: 'blue' })
  t.equal(bad.status, 400)
  const problem = await bad.json() as { errors: Array<{ field: string }> }
  t.match(problem, { code: 'CLV_RUNTIME_CONFIG_INVALID' })
  t.same(problem.errors.map((error: { field: string }) => error.field).sort(), ['/colour', '/rateLimit/max'])
  // A valid change made after it shows the refused one was not stored in between.
  t.equal((await patch(b, { features: { gamma: true } })).status, 200)
  const after = await until(async () => { const current = await view(a); return current.version === 2 && current }, { what: 'instance a to see version 2' })
  t.same(after.values.features, { beta: true, gamma: true })
  t.equal(after.values.logLevel, 'info')
  t.equal(after.values.rateLimit.max, 0)
})

t.test('Redis down at start: the environment\'s values, then the fleet\'s once Redis answers', async (t) => {
  const { redis, start } = await fleet(t)
  const a = await start()
  t.equal((await patch(a, { features: { beta: true } })).status, 200)
  await redis.stop()
  const b = await start()
  t.match(await view(b), { version: 0, values: { features: {} } }, 'started without Redis')
  t.ok(await logLine(b, 'the start-up warning', (line) => /Redis unreachable at start/.test(String(line.msg))), 'and said so')
  const refused = await patch(b, { features: { beta: false } })
  t.equal(refused.status, 503, 'a change that cannot be stored fleet-wide is refused')
  t.match(await refused.json(), { code: 'CLV_RUNTIME_CONFIG_UNAVAILABLE' })

  // Redis comes back empty (it kept nothing): the fleet converges on what it now holds.
  await redis.start()
  t.equal((await until(async () => (await patch(b, { features: { gamma: true } })).status === 200 || undefined, { what: 'Redis to answer b' })), true)
  await until(async () => { const current = await view(a); return current.version === 1 && current.values.features.gamma }, { what: 'a to follow the change made after Redis returned' })
  t.same((await view(a)).values.features, { gamma: true })
})

t.test('breaker settings change the behaviour of a breaker that already exists', async (t) => {
  const { redis } = await fleet(t)
  const deadHello = `http://127.0.0.1:${await freePort()}`
  const proxy = await startProcess(t, 'server', {
    REDIS_URL: redis.url,
    REDIS_PREFIX: `cleave-test-${randomUUID()}:`,
    ADMIN_TOKEN: token,
    MODULES: 'proxy',
    SERVICE_HELLO_URL: deadHello,
    BREAKER_VOLUME_THRESHOLD: '1000',
    WORKERS: 'false',
    DATA_DIR: tempDir(t)
  })
  const call = async () => ((await (await fetch(`${proxy.url}/proxy`)).json()) as { detail: string }).detail
  for (let i = 0; i < 3; i++) t.notMatch(await call(), /circuit breaker is open/, 'with a volume threshold of 1000 the breaker stays closed')

  t.equal((await patch(proxy, { breakers: { hello: { volumeThreshold: 1, resetTimeoutMs: 600000 } } })).status, 200)
  t.notMatch(await call(), /circuit breaker is open/, 'this failure opens it')
  t.match(await call(), /circuit breaker is open/, 'the next call is refused by the open breaker')
  const metrics = await (await fetch(`${proxy.url}/metrics`)).text()
  t.match(metrics, /cleave_breaker_state\{target="hello"\} 2/)
})
