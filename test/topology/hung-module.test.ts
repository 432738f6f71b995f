// dialects: sqlite postgres
// A module that hangs instead of dying (SIGSTOP: a GC stall, a deadlock, a paused container), on
// default settings: two users replicas, orders and the gateway, one process each. The health
// checks of the gateway and of orders take a frozen replica out of rotation before any request
// pays for it, a module whose every replica is frozen is answered 503 (or degraded) at once, and
// resumed replicas are back in rotation within seconds. Static and Redis discovery.
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { RunningProcess } from '../helpers/process.js'
import { startRedis } from '../helpers/redis.js'
import { until } from '../helpers/until.js'
import { startSplit } from './topologies.js'

t.setTimeout(240_000)

/** With no traffic at all: what the health checks alone must notice in. */
const quietMs = 5000
/** Far below the gateway's 5 s timeout and orders' 1 s call timeout: a request that met a frozen replica cannot pass. */
const quickMs = 800

interface Answer { status: number, ms: number, body: Record<string, unknown>, type: string }

async function get (url: string): Promise<Answer> {
  const started = performance.now()
  const res = await fetch(url, { signal: AbortSignal.timeout(15_000) })
  const body = await res.json() as Record<string, unknown>
  return { status: res.status, ms: Math.round(performance.now() - started), body, type: res.headers.get('content-type') ?? '' }
}

function freeze (process: RunningProcess, t: Test) {
  process.child.kill('SIGSTOP')
  // A stopped process still holds its port: resume it before the teardown kills it.
  t.teardown(() => { process.child.kill('SIGCONT') })
}

async function hungReplicas (t: Test, redis?: { url: string, prefix: string }) {
  const { gateway, services } = await startSplit(t, { modules: ['users', 'orders'], instances: { users: 2 }, redis })
  const [first, second] = services.users
  const user = await until(async () => {
    const res = await fetch(`${gateway.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', email: `ada-${randomUUID()}@example.com` }) })
    return res.status === 201 && await res.json() as { id: number }
  }, { what: 'a user created through the gateway' })
  const order = await (await fetch(`${gateway.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: user.id, items: [{ sku: 'A-1', qty: 1 }] }) })).json() as { id: number }
  t.ok(order.id, 'an order placed through orders\' client call to users')

  const reads = async (n: number) => {
    const answers: Array<{ user: Answer, order: Answer }> = []
    for (let i = 0; i < n; i++) answers.push({ user: await get(`${gateway.url}/users/${user.id}`), order: await get(`${gateway.url}/orders/${order.id}`) })
    return answers
  }

  freeze(second, t)
  await sleep(quietMs)
  const oneFrozen = await reads(10)
  t.same(oneFrozen.map(({ user }) => user.status), Array(10).fill(200), 'one replica frozen: every gateway read of the user answers 200')
  t.ok(oneFrozen.every(({ user }) => user.ms < quickMs), `none waited (slowest ${Math.max(...oneFrozen.map(({ user }) => user.ms))} ms)`)
  t.same(oneFrozen.map(({ order }) => [order.status, order.body.degraded]), Array(10).fill([200, false]), 'every order read has its user from the live replica, none degraded')
  t.ok(oneFrozen.every(({ order }) => order.ms < quickMs), `none waited (slowest ${Math.max(...oneFrozen.map(({ order }) => order.ms))} ms)`)

  freeze(first, t)
  await sleep(quietMs)
  const bothFrozen = await reads(10)
  for (const { user } of bothFrozen) {
    t.match(user, { status: 503, type: /^application\/problem\+json/, body: { detail: /users/ } }, 'both frozen: 503 problem+json naming users')
  }
  const slowest = Math.max(...bothFrozen.map(({ user }) => user.ms))
  t.ok(slowest < quickMs, `at once, never sent to a frozen replica (slowest ${slowest} ms)`)
  t.same(bothFrozen.map(({ order }) => [order.status, order.body.degraded]), Array(10).fill([200, true]), 'order reads answer degraded')
  t.ok(bothFrozen.every(({ order }) => order.ms < quickMs), `and at once (slowest ${Math.max(...bothFrozen.map(({ order }) => order.ms))} ms)`)

  const resumed = performance.now()
  first.child.kill('SIGCONT')
  second.child.kill('SIGCONT')
  await until(async () => {
    const [{ user: viaGateway, order: viaOrders }] = await reads(1)
    return viaGateway.status === 200 && viaOrders.body.degraded === false
  }, { what: 'users whole again through the gateway and orders', timeoutMs: 10_000, everyMs: 100 })
  t.pass(`whole again ${Math.round(performance.now() - resumed)} ms after both resumed`)
  const later = await reads(10)
  t.same(later.map(({ user, order }) => [user.status, order.status, order.body.degraded]), Array(10).fill([200, 200, false]), 'and stays whole')
}

t.test('static discovery: a frozen users replica is out of rotation before any request meets it', async (t) => {
  await hungReplicas(t)
})

t.test('Redis discovery: the same', async (t) => {
  const redis = await startRedis(t)
  await hungReplicas(t, { url: redis.url, prefix: `cleave-test-${randomUUID()}:` })
})
