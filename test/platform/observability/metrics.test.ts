import t from 'tap'
import { randomUUID } from 'node:crypto'
import { loadConfig } from '../../../src/platform/config/config.js'
import { buildApp } from '../../../src/platform/app/build-app.js'
import { buildGateway } from '../../../src/platform/app/build-gateway.js'
import { buildTestApp, tempDir } from '../../helpers/app.js'
import { execute } from '../../helpers/database.js'
import { startProcess } from '../../helpers/process.js'
import { startRedis } from '../../helpers/redis.js'
import { until } from '../../helpers/until.js'
import { registry } from '../../helpers/modules.js'

interface Scrapable { inject (url: string): Promise<{ statusCode: number, headers: Record<string, unknown>, body: string }> }

async function scrape (app: Scrapable): Promise<string> {
  const res = await app.inject('/metrics')
  if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}: ${res.body}`)
  return res.body
}

/** Every sample of a metric whose labels include the given ones: [labels text, value]. */
function samples (text: string, name: string, labels: Record<string, string> = {}): Array<[string, number]> {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`)
  return text.split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => {
      const space = line.lastIndexOf(' ')
      return [line.slice(name.length, space), Number(line.slice(space + 1))] as [string, number]
    })
    .filter(([text]) => wanted.every((pair) => text.includes(pair)))
}

function value (text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples(text, name, labels)
  return found.length === 1 ? found[0][1] : undefined
}

t.test('/metrics is Prometheus text with Node\'s default metrics, hidden from OpenAPI', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  const res = await app.inject('/metrics')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  t.match(res.body, /^# HELP nodejs_eventloop_lag_seconds /m, 'event loop lag comes from the default metrics')
  t.match(res.body, /^process_cpu_user_seconds_total /m)
  t.match(res.body, /^# TYPE cleave_http_request_duration_seconds histogram/m)
  t.match(res.body, /^cleave_http_requests_in_flight 1$/m, 'the scrape itself is in flight')
  const spec = (await app.inject('/docs/json')).json() as { paths: Record<string, unknown> }
  t.notOk(spec.paths['/metrics'], 'not in the API document')
})

t.test('HTTP requests are labelled by route pattern, never by URL', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  t.equal((await app.inject('/users/1')).statusCode, 404)
  t.equal((await app.inject('/users/2')).statusCode, 404)
  t.equal((await app.inject('/no/such/place-' + randomUUID())).statusCode, 404)
  const text = await scrape(app)

  const users = samples(text, 'cleave_http_request_duration_seconds_count', { route: '/users/:id' })
  t.equal(users.length, 1, 'one series for both ids')
  t.match(users[0][0], /method="GET"/)
  t.match(users[0][0], /status="404"/)
  t.equal(users[0][1], 2)
  t.equal(value(text, 'cleave_http_request_duration_seconds_count', { route: 'unmatched' }), 1, 'an unknown URL lands in one "unmatched" series')
  t.notMatch(text, /no\/such/, 'no label holds the raw URL')
  t.equal(value(text, 'cleave_http_requests_in_flight'), 1)
})

t.test('each app has its own registry', async (t) => {
  const [a, b] = await Promise.all([buildTestApp(t, { modules: ['hello'] }), buildTestApp(t, { modules: ['hello'] })])
  t.equal((await a.inject('/service')).statusCode, 200)
  t.equal(value(await scrape(b), 'cleave_http_request_duration_seconds_count', { route: '/service' }), undefined)
  t.equal(value(await scrape(a), 'cleave_http_request_duration_seconds_count', { route: '/service' }), 1)
})

t.test('METRICS=false: no /metrics and no request timing, on the app and the gateway', async (t) => {
  const app = await buildTestApp(t, { modules: ['hello'], env: { METRICS: 'false' } })
  t.equal((await app.inject('/service')).statusCode, 200)
  t.equal((await app.inject('/metrics')).statusCode, 404)
  t.equal((await app.metrics.registry.getSingleMetric('cleave_http_request_duration_seconds')?.get())?.values.length, 0, 'nothing was timed')
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', METRICS: 'false', SERVICE_HELLO_URL: 'http://127.0.0.1:1' }, registry), registry, { modules: ['hello'] })
  t.teardown(() => gateway.close())
  t.equal((await gateway.inject('/metrics')).statusCode, 404)
})

t.test('a worker (no module routes) serves /metrics too', async (t) => {
  const app = await buildApp(loadConfig({ DATA_DIR: tempDir(t), LOG_LEVEL: 'silent', MODULES: 'notifications' }, registry), registry, { routes: false })
  t.teardown(() => app.close())
  t.match(await scrape(app), /^# TYPE cleave_job_duration_seconds histogram/m)
})

t.test('the gateway serves its own /metrics with the HTTP histogram', async (t) => {
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', SERVICE_HELLO_URL: 'http://127.0.0.1:1' }, registry), registry, { modules: ['hello'] })
  t.teardown(() => gateway.close())
  await gateway.inject('/health/live')
  await gateway.inject('/nowhere-' + randomUUID())
  const text = await scrape(gateway)
  t.equal(value(text, 'cleave_http_request_duration_seconds_count', { route: '/health/live', status: '200' }), 1)
  t.equal(value(text, 'cleave_http_request_duration_seconds_count', { route: 'unmatched' }), 1)
  t.match(text, /^nodejs_eventloop_lag_seconds /m)
})

t.test('split: calls and the breaker for users are measured; a dead users opens it', async (t) => {
  const users = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: tempDir(t) })
  const app = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: users.url, CALL_RETRIES: '0', BREAKER_RESET_MS: '60000' } })
  await app.clients.users.createUser({ body: { name: 'Ada', email: 'ada@example.com' } })
  t.equal((await app.inject({ method: 'POST', url: '/orders', payload: { userId: 1, items: [{ sku: 'A', qty: 1 }] } })).statusCode, 201)
  await t.rejects(app.clients.users.getUser({ params: { id: 9 } }), { code: 'CLV_USERS_NOT_FOUND' })
  let text = await scrape(app)
  t.equal(value(text, 'cleave_breaker_state', { target: 'users' }), 0, 'closed')
  t.equal(value(text, 'cleave_client_call_duration_seconds_count', { target: 'users', operation: 'getUser', transport: 'remote', outcome: 'ok' }), 2, 'a 404 answer is an answer')

  users.child.kill('SIGKILL')
  await users.exited
  for (let i = 0; i < 8; i++) {
    const order = (await app.inject('/orders/1')).json() as { degraded: boolean }
    t.equal(order.degraded, true, `GET /orders/1 #${i} falls back`)
  }
  text = await scrape(app)
  t.equal(value(text, 'cleave_breaker_state', { target: 'users' }), 2, 'open')
  t.ok(value(text, 'cleave_breaker_events_total', { target: 'users', event: 'failure' })! >= 1, 'failures counted')
  t.equal(value(text, 'cleave_breaker_events_total', { target: 'users', event: 'open' }), 1)
  t.ok(value(text, 'cleave_breaker_events_total', { target: 'users', event: 'reject' })! >= 1, 'calls refused while open')
  t.equal(value(text, 'cleave_client_call_duration_seconds_count', { target: 'users', operation: 'getUser', transport: 'remote', outcome: 'error' }), 8)
  t.equal(value(text, 'cleave_http_request_duration_seconds_count', { route: '/orders/:id', status: '200' }), 8)
})

t.test('events in one process: job duration, relay lag and outbox pending', async (t) => {
  const app = await buildTestApp(t, { env: { RELAY_INTERVAL_MS: '50' } })
  t.equal((await app.inject({ method: 'POST', url: '/users', payload: { name: 'Ada', email: 'ada@example.com' } })).statusCode, 201)
  const text = await until(async () => {
    const text = await scrape(app)
    return value(text, 'cleave_job_duration_seconds_count', { queue: 'events-notifications', event: 'user.created', outcome: 'handled' }) === 1 && text
  }, { what: 'the welcome handled' })
  t.equal(value(text, 'cleave_relay_lag_seconds_count', { module: 'users' }), 1)
  t.equal(value(text, 'cleave_outbox_pending', { module: 'users' }), 0)
  t.equal(value(text, 'cleave_client_call_duration_seconds_count', { transport: 'remote' }), undefined, 'nothing called remotely')
  t.notMatch(text, /cleave_queue_jobs\{/, 'no queues without Redis')
})

t.test('outbox pending counts what the relay has not delivered yet', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'], env: { RELAY_INTERVAL_MS: '600000' } })
  t.equal(value(await scrape(app), 'cleave_outbox_pending', { module: 'users' }), 0)
  // As if a delivery had failed: the relay only looks again at its next interval.
  await execute(app.databases.get('users')!, `insert into outbox (id, name, payload, created_at) values ('waiting', 'user.deleted', '{"id":1}', ${Date.now()})`)
  t.equal(value(await scrape(app), 'cleave_outbox_pending', { module: 'users' }), 1)
})

t.test('with Redis: queue job counts on scrape', async (t) => {
  const redis = await startRedis(t)
  const app = await buildTestApp(t, { env: { REDIS_URL: redis.url, REDIS_PREFIX: `cleave-test-${randomUUID()}:`, RELAY_INTERVAL_MS: '50', JOB_BACKOFF_MS: '20' } })
  t.equal((await app.inject({ method: 'POST', url: '/users', payload: { name: 'Ada', email: 'ada@example.com' } })).statusCode, 201)
  const text = await until(async () => {
    const text = await scrape(app)
    return value(text, 'cleave_job_duration_seconds_count', { queue: 'events-notifications', event: 'user.created', outcome: 'handled' }) === 1 && text
  }, { what: 'the welcome handled' })
  for (const state of ['waiting', 'active', 'failed', 'delayed']) {
    t.equal(value(text, 'cleave_queue_jobs', { queue: 'events-notifications', state }), 0, `${state} jobs`)
  }
  t.equal(value(text, 'cleave_outbox_pending', { module: 'users' }), 0)
  t.equal(value(text, 'cleave_relay_lag_seconds_count', { module: 'users' }), 1)
})

t.test('the gateway counts the instances it knows per routed module: 0 for one with none', async (t) => {
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', SERVICE_HELLO_URL: 'http://127.0.0.1:1' }, registry), registry, { modules: ['hello', 'users'] })
  t.teardown(() => gateway.close())
  const text = await scrape(gateway)
  t.equal(value(text, 'cleave_target_instances', { target: 'hello' }), 1)
  t.equal(value(text, 'cleave_target_instances', { target: 'users' }), 0, 'users has no instance')
})

t.test('a process counts the instances of the targets it calls remotely, and only those', async (t) => {
  const app = await buildTestApp(t, { modules: ['orders'], env: { CALL_RETRIES: '0' } })
  t.notMatch(await scrape(app), /^cleave_target_instances\{/m, 'nothing called yet')
  await t.rejects(app.clients.users.getUser({ params: { id: 1 } }))
  const text = await scrape(app)
  t.equal(value(text, 'cleave_target_instances', { target: 'users' }), 0, 'users has no instance')
  t.equal(samples(text, 'cleave_target_instances').length, 1)
})
