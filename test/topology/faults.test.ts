import t from 'tap'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent, request } from 'undici'
import { tempDir } from '../helpers/app.js'
import { logLine, startProcess } from '../helpers/process.js'
import { startRedis } from '../helpers/redis.js'
import { until } from '../helpers/until.js'
import { startSplit } from './topologies.js'

const callTimeoutMs = 400
const breaker = { CALL_TIMEOUT_MS: String(callTimeoutMs), BREAKER_VOLUME_THRESHOLD: '3', BREAKER_ERROR_THRESHOLD: '50', BREAKER_RESET_MS: '1500' }

async function timed (url: string, init?: RequestInit) {
  const started = performance.now()
  const res = await fetch(url, init)
  const body: any = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text()
  return { status: res.status, body, ms: performance.now() - started }
}

async function usersAndOrders (t: Parameters<typeof startProcess>[0]) {
  const dataDir = tempDir(t)
  const users = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: dataDir })
  const orders = await startProcess(t, 'server', { MODULES: 'orders', DATA_DIR: dataDir, SERVICE_USERS_URL: users.url, ...breaker })
  const user = await (await fetch(`${users.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }) })).json() as { id: number }
  const order = await (await fetch(`${orders.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: user.id, items: [{ sku: 'A', qty: 1 }] }) })).json() as { id: number }
  return { users, orders, order }
}

t.test('users killed: order reads degrade within the timeout, order writes answer 503', async (t) => {
  const { users, orders, order } = await usersAndOrders(t)
  users.child.kill('SIGKILL')
  await users.exited

  for (let i = 0; i < 5; i++) {
    const read = await timed(`${orders.url}/orders/${order.id}`)
    t.equal(read.status, 200)
    t.match(read.body, { id: order.id, user: null, degraded: true })
    t.ok(read.ms < callTimeoutMs + 200, `read ${i} answered in ${read.ms.toFixed(0)} ms`)
  }
  const write = await timed(`${orders.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: 1, items: [{ sku: 'A', qty: 1 }] }) })
  t.equal(write.status, 503)
  t.match(write.body, { code: 'CLV_DEPENDENCY_UNAVAILABLE', detail: /^users is unavailable/ })
})

t.test('users frozen: calls time out, the breaker opens and fails fast, then closes after SIGCONT', async (t) => {
  const { users, orders, order } = await usersAndOrders(t)
  users.child.kill('SIGSTOP')
  t.teardown(() => { users.child.kill('SIGCONT') })

  const first = await timed(`${orders.url}/orders/${order.id}`)
  t.match(first.body, { user: null, degraded: true })
  t.ok(first.ms >= callTimeoutMs - 20, `the first call waited for the timeout (${first.ms.toFixed(0)} ms)`)

  const fast = await until(async () => {
    const read = await timed(`${orders.url}/orders/${order.id}`)
    t.match(read.body, { degraded: true })
    return read.ms < 50 && read
  }, { everyMs: 0, timeoutMs: 10 * (callTimeoutMs + 100), what: 'a call that failed fast' })
  t.ok(fast, 'once the breaker opened, calls failed fast')
  // The log is written asynchronously (pino's async destination): wait for the line, do not race it.
  t.ok(await logLine(orders, 'the breaker opening', (line) => line.target === 'users' && line.breaker === 'open'), 'the breaker opening was logged')

  users.child.kill('SIGCONT')
  const recovered = await until(async () => {
    const read = await timed(`${orders.url}/orders/${order.id}`)
    return read.body.degraded === false && read
  }, { everyMs: 100, timeoutMs: 10_000, what: 'a whole read after SIGCONT' })
  t.match(recovered.body, { user: { name: 'Ada' }, degraded: false }, 'reads are whole again after SIGCONT')
  t.ok(await logLine(orders, 'the breaker closing', (line) => line.target === 'users' && line.breaker === 'closed'), 'the breaker closing was logged')
})

t.test('one of two users instances killed: requests keep succeeding', async (t) => {
  const redis = await startRedis(t)
  const { gateway, services } = await startSplit(t, { redis: { url: redis.url, prefix: `cleave-test-${randomUUID()}:` }, instances: { users: 2 } })
  const post = (path: string, body: unknown) => fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((res) => res.json() as Promise<{ id: number }>)
  const user = await post('/users', { name: 'Ada', email: 'ada@example.com' })
  const order = await post('/orders', { userId: user.id, items: [{ sku: 'A', qty: 1 }] })

  services.users[0].child.kill('SIGKILL')
  await services.users[0].exited
  const failures: string[] = []
  for (let i = 0; i < 40; i++) {
    const direct = await fetch(`${gateway.url}/users/${user.id}`)
    if (direct.status !== 200) failures.push(`GET /users/${user.id} → ${direct.status}`)
    const viaClient = await fetch(`${gateway.url}/orders/${order.id}`).then((res) => res.json() as Promise<{ degraded?: boolean }>)
    if (viaClient.degraded !== false) failures.push(`GET /orders/${order.id} degraded`)
  }
  t.same(failures, [], 'every request succeeded')
})

// Bounded load: `loops` callers, each sending its next request when the last is answered.
function loadOrders (url: string, path: string, loops: number) {
  const agent = new Agent({ connections: loops })
  const answers: Array<{ at: number, status: number }> = []
  // An object, so the loops below see the flag the stop sets.
  const load = { running: true }
  let stopped: Promise<void> | undefined
  const callers = Array.from({ length: loops }, async () => {
    while (load.running) {
      const { statusCode, body } = await request(`${url}${path}`, { dispatcher: agent })
      await body.dump()
      answers.push({ at: performance.now(), status: statusCode })
    }
  })
  return {
    answers,
    /** Answers per second between two instants (performance.now()). */
    rate: (from: number, to: number) => answers.filter(({ at }) => at >= from && at < to).length / ((to - from) / 1000),
    stop () {
      load.running = false
      stopped ??= Promise.all(callers).then(() => agent.close())
      return stopped
    }
  }
}

t.test('users SIGKILLed under load: the breaker opens within about a second, reads stay answered', async (t) => {
  const dataDir = tempDir(t)
  // Default breaker settings: this is what a deployment gets. warn: no access line per request.
  const users = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: dataDir, LOG_LEVEL: 'warn' })
  const orders = await startProcess(t, 'server', { MODULES: 'orders', DATA_DIR: dataDir, SERVICE_USERS_URL: users.url, LOG_LEVEL: 'warn' })
  const user = await (await fetch(`${users.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }) })).json() as { id: number }
  const order = await (await fetch(`${orders.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: user.id, items: [{ sku: 'A', qty: 1 }] }) })).json() as { id: number }

  const load = loadOrders(orders.url, `/orders/${order.id}`, 8)
  t.teardown(() => load.stop())
  const started = performance.now()
  // Long enough that a 10 s window would still hold thousands of successes to outvote the failures.
  await sleep(5000)
  const killedAt = performance.now()
  const killedWall = Date.now()
  users.child.kill('SIGKILL')
  const opened = await logLine(orders, 'the breaker opening', (line) => line.target === 'users' && line.breaker === 'open')
  const openedAt = killedAt + (Date.parse(String(opened.time)) - killedWall)
  await sleep(2000)
  const stoppedAt = performance.now()
  await load.stop()

  const toOpen = openedAt - killedAt
  t.comment(`kill → breaker open: ${toOpen.toFixed(0)} ms`)
  t.comment(`answers/s: before ${load.rate(started + 500, killedAt).toFixed(0)}, kill → open ${toOpen > 50 ? load.rate(killedAt, openedAt).toFixed(0) : 'n/a (too short to measure)'}, after ${load.rate(openedAt, stoppedAt).toFixed(0)}`)
  // About 1 s is the promise; the bound leaves room for a busy 2-core machine.
  t.ok(toOpen < 3000, `the breaker opened ${toOpen.toFixed(0)} ms after the kill`)
  t.same(load.answers.filter(({ status }) => status !== 200).length, 0, 'every read was answered 200 (degraded once users was gone)')
  t.ok(load.answers.filter(({ at }) => at > openedAt).length > 0, 'reads went on after the breaker opened')
})
