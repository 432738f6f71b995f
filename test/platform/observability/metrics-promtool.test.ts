// Prometheus's own linter on what real processes serve at /metrics.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { tempDir } from '../../helpers/app.js'
import { startProcess } from '../../helpers/process.js'
import { startRedis } from '../../helpers/redis.js'
import { until } from '../../helpers/until.js'

const promtool = spawnSync('promtool', ['--version']).status === 0
// .ci/run installs Debian's prometheus package; without CI a missing promtool skips, saying so.
const skip = promtool || process.env.CI ? false : 'no promtool: apt-get install prometheus to lint /metrics'

function check (text: string) {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim(), error: result.error?.message }
}

t.test('promtool check metrics finds nothing to say about /metrics', { skip }, async (t) => {
  const redis = await startRedis(t)
  const env = { REDIS_URL: redis.url, REDIS_PREFIX: `cleave-test-${randomUUID()}:`, LOG_LEVEL: 'warn' }
  const users = await startProcess(t, 'server', { ...env, MODULES: 'users,notifications', DATA_DIR: tempDir(t) })
  const orders = await startProcess(t, 'server', { ...env, MODULES: 'orders', DATA_DIR: tempDir(t), SERVICE_USERS_URL: users.url })
  const created = await fetch(`${users.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }) })
  t.equal(created.status, 201)
  const { id } = await created.json() as { id: number }
  t.equal((await fetch(`${orders.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: id, items: [{ sku: 'tea', qty: 1 }] }) })).status, 201)
  await fetch(`${users.url}/no/such/route`)

  const scrape = async (url: string) => (await fetch(`${url}/metrics`)).text()
  // Every kind of series there is: HTTP, jobs, queues, relay, and (on orders) calls and the breaker.
  const usersMetrics = await until(async () => {
    const text = await scrape(users.url)
    return /^cleave_job_duration_seconds_count\{/m.test(text) && text
  }, { what: 'the welcome job measured' })
  const ordersMetrics = await scrape(orders.url)
  for (const name of ['nodejs_eventloop_lag_seconds', 'cleave_http_request_duration_seconds', 'cleave_queue_jobs', 'cleave_relay_lag_seconds']) {
    t.match(usersMetrics, new RegExp(`^# TYPE ${name} `, 'm'), `users serves ${name}`)
  }
  for (const name of ['cleave_client_call_duration_seconds', 'cleave_breaker_state', 'cleave_breaker_events_total']) {
    t.match(ordersMetrics, new RegExp(`^# TYPE ${name} `, 'm'), `orders serves ${name}`)
  }

  for (const [name, text] of [['users', usersMetrics], ['orders', ordersMetrics]]) {
    const result = check(text)
    t.equal(result.error, undefined, 'promtool ran')
    t.equal(result.output, '', `${name}: promtool reports nothing`)
    t.equal(result.status, 0, `${name}: promtool check metrics passes`)
  }
})
