import t from 'tap'
import { loadConfig } from '../../../src/platform/config/config.js'
import { buildGateway } from '../../../src/platform/app/build-gateway.js'
import { buildTestApp } from '../../helpers/app.js'
import { freePort } from '../../helpers/process.js'
import { registry } from '../../helpers/modules.js'
import { startRedis } from '../../helpers/redis.js'
import { until } from '../../helpers/until.js'

t.test('live answers while the process runs', async (t) => {
  const app = await buildTestApp(t, { modules: [] })
  const res = await app.inject('/health/live')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ok' })
})

t.test('ready checks every open database, and that the process is not draining', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  const ok = await app.inject('/health/ready')
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { status: 'ok', checks: { draining: 'ok', 'users-db': 'ok' } })

  await app.databases.get('users')!.close()
  const down = await app.inject('/health/ready')
  t.equal(down.statusCode, 503)
  t.match(down.headers['content-type'], /^application\/problem\+json/)
  t.match(down.json(), { code: 'CLV_NOT_READY', detail: 'Not ready: users-db', checks: { 'users-db': /not open/ } })
})

t.test('a dependency that hangs fails its check after HEALTH_CHECK_TIMEOUT_MS; the others are still answered', async (t) => {
  const redis = await startRedis(t)
  const app = await buildTestApp(t, { modules: ['users'], env: { REDIS_URL: redis.url, HEALTH_CHECK_TIMEOUT_MS: '300' } })
  t.same((await app.inject('/health/ready')).json().checks, { draining: 'ok', redis: 'ok', 'users-db': 'ok' })

  redis.pause()
  const hung = await app.inject('/health/ready')
  t.equal(hung.statusCode, 503)
  t.match(hung.json(), { code: 'CLV_NOT_READY', detail: 'Not ready: redis', checks: { draining: 'ok', redis: 'no answer within 300 ms', 'users-db': 'ok' } })
  const report = await app.inject('/health')
  t.equal(report.statusCode, 200, 'the report answers too')
  t.match(report.json(), { status: 'not ready', checks: { redis: 'no answer within 300 ms' } })

  redis.resume()
  await until(async () => (await app.inject('/health/ready')).statusCode === 200, { what: 'ready once Redis answers again', timeoutMs: 5000 })
  t.pass('ready again once Redis answers')
})

t.test('checks run at once: two that never answer cost one HEALTH_CHECK_TIMEOUT_MS, not two', async (t) => {
  const app = await buildTestApp(t, { modules: [], env: { HEALTH_CHECK_TIMEOUT_MS: '1000' } })
  app.health.addCheck('first', () => new Promise(() => {}))
  app.health.addCheck('second', () => new Promise(() => {}))
  const started = performance.now()
  const res = await app.inject('/health/ready')
  const tookMs = performance.now() - started
  t.match(res.json(), { detail: 'Not ready: first, second', checks: { first: 'no answer within 1000 ms', second: 'no answer within 1000 ms' } })
  t.ok(tookMs < 1800, `answered in ${tookMs.toFixed(0)} ms: one wait, not one after the other`)
})

t.test('/health reports checks, draining and process facts', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'], env: { SERVICE_NAME: 'cleave:test' } })
  const res = await app.inject('/health')
  t.equal(res.statusCode, 200)
  t.match(res.json(), { status: 'ready', service: 'cleave:test', pid: process.pid, uptimeSeconds: Number, draining: false, checks: { draining: 'ok', 'users-db': 'ok' }, dependencies: {} })

  await app.databases.get('users')!.close()
  const down = await app.inject('/health')
  t.equal(down.statusCode, 200, 'a report, not a probe: it answers whatever it reports')
  t.match(down.json(), { status: 'not ready', checks: { 'users-db': /not open/ } })
})

t.test('/health shows each remote dependency\'s breaker; an open breaker leaves the process ready', async (t) => {
  const dead = `http://127.0.0.1:${await freePort()}`
  const app = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: dead, BREAKER_VOLUME_THRESHOLD: '2', CALL_RETRIES: '0', BREAKER_RESET_MS: '60000' } })
  t.same((await app.inject('/health')).json().dependencies, {}, 'no breaker before the first remote call')

  for (let i = 0; i < 3; i++) await app.clients.users.getUser({ params: { id: 1 } }).catch(() => {})
  const report = (await app.inject('/health')).json()
  t.match(report.dependencies, { users: { state: 'open', window: { calls: 3, successes: 0, failures: 2, rejected: 1 } } })
  t.equal(report.status, 'ready')
  t.equal((await app.inject('/health/ready')).statusCode, 200, 'the dependency\'s outage is not this process\'s')
})

t.test('/health is in the OpenAPI document under the platform tag', async (t) => {
  const app = await buildTestApp(t, { modules: [] })
  const doc = (await app.inject('/docs/json')).json()
  const operation = doc.paths['/health'].get
  t.same(operation.tags, ['platform'])
  t.ok(operation.responses['200'].content['application/json'].schema.properties.dependencies)
})

t.test('the gateway\'s /health lists the instances it knows per module', async (t) => {
  const usersUrl = `http://127.0.0.1:${await freePort()}`
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', SERVICE_USERS_URL: usersUrl }, registry), registry, { modules: ['hello', 'users'] })
  t.teardown(() => gateway.close())
  const report = (await gateway.inject('/health')).json()
  t.match(report, { status: 'ready', service: 'cleave:gateway', draining: false, checks: { discovery: 'ok', draining: 'ok' } })
  t.same(report.upstreams, { hello: [], users: [usersUrl] })
  t.match(report.dependencies, { hello: { state: 'closed' }, users: { state: 'closed' } }, 'a breaker per module it routes to')
})
