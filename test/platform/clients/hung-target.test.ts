// One process calling a users process that hangs (SIGSTOP): orders here, in this process, with
// real users processes as its remote target. Health checks take a frozen replica out of rotation
// before a call meets it; with them off, a run of timed-out calls opens the breaker, one call at a
// time. And the gateway: a module that keeps timing out opens its breaker there too.
import t, { type Test } from 'tap'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { buildTestApp, tempDir } from '../../helpers/app.js'
import { startProcess, type RunningProcess } from '../../helpers/process.js'
import { recordingServer } from '../../helpers/recording-server.js'
import { until } from '../../helpers/until.js'
import { loadConfig } from '../../../src/platform/config/config.js'
import { buildGateway } from '../../../src/platform/app/build-gateway.js'
import { registry } from '../../helpers/modules.js'

t.setTimeout(180_000)

const usersData = tempDir(t)
const first = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: usersData })
const second = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: usersData })
const created = await (await fetch(`${first.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }) })).json() as { id: number }

function freeze (t: Test, process: RunningProcess) {
  process.child.kill('SIGSTOP')
  t.teardown(() => { process.child.kill('SIGCONT') })
}

/** One call to users through the client: its outcome and how long it took. */
async function call (app: Awaited<ReturnType<typeof buildTestApp>>) {
  const started = performance.now()
  const user = await app.clients.users.getUser({ params: { id: created.id } }, { fallback: () => 'degraded' as const })
  return { user, ms: Math.round(performance.now() - started) }
}

t.test('one of two replicas frozen: health checks take it out before any call meets it', async (t) => {
  const app = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: `${first.url},${second.url}` } })
  freeze(t, second)
  const frozenAt = performance.now()
  const out = await until(async () => (await app.inject('/health')).json().ejected?.[second.url], { what: 'the frozen replica out of rotation', everyMs: 20 })
  t.match(out, { reason: 'health check', failedChecks: 2 })
  t.pass(`out of rotation ${Math.round(performance.now() - frozenAt)} ms after it froze, with no call made`)
  const calls = []
  for (let i = 0; i < 10; i++) calls.push(await call(app))
  t.same(calls.map(({ user }) => user === 'degraded' ? user : 'answered'), Array(10).fill('answered'), 'every call answered by the live replica')

  second.child.kill('SIGCONT')
  const resumedAt = performance.now()
  await until(async () => (await app.inject('/health')).json().ejected?.[second.url] === undefined, { what: 'the resumed replica back in rotation', everyMs: 20 })
  t.pass(`back in rotation ${Math.round(performance.now() - resumedAt)} ms after it resumed`)
})

t.test('a lone static URL (maybe a Service in front of several pods) is out after a run three times as long; then calls fail at once', async (t) => {
  const app = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: first.url } })
  freeze(t, first)
  const frozenAt = performance.now()
  const out = await until(async () => (await app.inject('/health')).json().ejected?.[first.url], { what: 'the frozen URL out of rotation', everyMs: 20 })
  t.match(out, { reason: 'health check', failedChecks: 6 })
  t.pass(`out of rotation ${Math.round(performance.now() - frozenAt)} ms after it froze`)
  const { user, ms } = await call(app)
  t.equal(user, 'degraded', 'no instance in rotation: the fallback answers')
  t.ok(ms < 100, `at once (${ms} ms), not after CALL_TIMEOUT_MS`)
  first.child.kill('SIGCONT')
  await until(async () => (await call(app)).user !== 'degraded', { what: 'users answering again' })
})

t.test('health checks off: timed-out calls one at a time open the breaker', async (t) => {
  // Only the run rule: the percentage rule would need a thousand calls in the window.
  const app = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: first.url, HEALTH_CHECK_INTERVAL_MS: '0', CALL_TIMEOUT_MS: '200', BREAKER_VOLUME_THRESHOLD: '1000' } })
  t.not((await call(app)).user, 'degraded', 'answered before the freeze')
  freeze(t, first)
  const calls = []
  for (let i = 0; i < 7; i++) calls.push(await call(app))
  t.same(calls.map(({ user }) => user), Array(7).fill('degraded'))
  t.ok(calls.slice(0, 5).every(({ ms }) => ms >= 150), `the first five waited for the timeout (${calls.slice(0, 5).map(({ ms }) => ms).join(', ')} ms)`)
  t.equal((await app.inject('/health')).json().dependencies.users.state, 'open', 'the fifth timeout in a row (BREAKER_CONSECUTIVE_FAILURES) opened the breaker')
  t.ok(calls.slice(5).every(({ ms }) => ms < 100), `later calls are refused at once (${calls.slice(5).map(({ ms }) => ms).join(', ')} ms)`)
  first.child.kill('SIGCONT')
})

t.test('the gateway: an upstream that keeps timing out opens its breaker; then 503 at once', async (t) => {
  // A server that takes every request and never answers, like a hung process; health checks off,
  // so only the breaker can stop the gateway from waiting.
  const silent = await recordingServer(t, () => {})
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', HEALTH_CHECK_INTERVAL_MS: '0', GATEWAY_TIMEOUT_MS: '200', BREAKER_VOLUME_THRESHOLD: '1000', SERVICE_HELLO_URL: silent.url }, registry), registry, { modules: ['hello'] })
  t.teardown(() => gateway.close())
  await gateway.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}/service`
  const answers = []
  for (let i = 0; i < 7; i++) {
    const started = performance.now()
    const res = await fetch(url)
    answers.push({ status: res.status, code: (await res.json() as { code: string }).code, ms: Math.round(performance.now() - started) })
  }
  t.same(answers.slice(0, 5).map(({ status, code }) => [status, code]), Array(5).fill([504, 'CLV_GATEWAY_UPSTREAM_TIMEOUT']), 'five time out')
  t.same(answers.slice(5).map(({ status, code }) => [status, code]), Array(2).fill([503, 'CLV_GATEWAY_BREAKER_OPEN']), 'then the breaker refuses')
  t.ok(answers.slice(5).every(({ ms }) => ms < 100), `at once (${answers.slice(5).map(({ ms }) => ms).join(', ')} ms)`)
  t.equal((await gateway.inject('/health')).json().dependencies.hello.state, 'open', 'shown in /health')
  t.equal(silent.requests.length, 5, 'the open breaker sent nothing')
})
