// The fifth topology: deploy/compose.yaml's split profile (gateway, six modules, two workers,
// Redis), each in its own container of the image the tests built. The API suite passes through
// the gateway as it does in the other four; then the faults a container deployment meets, each
// followed by the whole system serving again: a module killed, a module hung (docker pause),
// Redis restarted under writes, Redis hung under writes, a module cut off its network.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { Test } from 'tap'
import { apiSuite, call } from '../topology/api-suite.js'
import { buildImage, docker, startCompose } from '../helpers/docker.js'
import { until } from '../helpers/until.js'

t.setTimeout(900_000)

async function get (base: string, path: string) {
  const started = performance.now()
  const res = await call(base, 'GET', path)
  return { ...res, ms: performance.now() - started }
}

async function post (base: string, path: string, body: unknown): Promise<{ id: number }> {
  const res = await call(base, 'POST', path, body)
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${res.text}`)
  return res.json
}

// A lone static URL (users:3000) is taken out after three times HEALTH_CHECK_FAILURES failed checks
// (~6.5 s, docs/guides/splitting.md, "When a module hangs"); the rest is the test's polling on a busy machine.
const noticedWithinMs = 15_000

// A job Redis handed to a worker just before it stopped runs again once its lock lapses: about
// 20 s with the default JOB_LOCK_MS and JOB_STALLED_INTERVAL_MS (docs/guides/events.md), which
// compose.yaml keeps; the rest is a busy machine's margin (BullMQ's own 30 s + 30 s would miss it).
const afterRedisRestartMs = 50_000

/**
 * users unreachable, seen from outside since the fault began: its routes a fast 503 problem and
 * orders' reads degraded, within seconds.
 */
async function usersDown (t: Test, base: string, userId: number, orderId: number, what: string, since: number) {
  const refused = await until(async () => {
    const res = await get(base, `/users/${userId}`)
    return res.status === 503 && res.ms < 1000 && res
  }, { what: `GET /users/${userId} a fast 503 (${what})`, timeoutMs: 30_000, everyMs: 250 })
  t.match(refused.type, /^application\/problem\+json/, `users' routes: 503 problem+json (${what})`)
  const order = await until(async () => {
    const res = await get(base, `/orders/${orderId}`)
    return res.status === 200 && res.json?.degraded === true && res.ms < 1000 && res
  }, { what: `GET /orders/${orderId} degraded and fast (${what})`, timeoutMs: 30_000, everyMs: 250 })
  t.equal(order.json.user, null, `orders' read degraded: no user (${what})`)
  const noticedMs = Date.now() - since
  t.ok(noticedMs < noticedWithinMs, `${what}: noticed within ${noticedWithinMs} ms`)
  t.comment(`${what}: after ${noticedMs} ms users answered 503 ${String(refused.json.code)} in ${refused.ms.toFixed(0)} ms and orders' read degraded in ${order.ms.toFixed(0)} ms`)
}

async function whole (t: Test, base: string, userId: number, orderId: number, what: string) {
  // orders and the gateway each notice the return by their own health checks, one after the other.
  await until(async () => (await get(base, `/orders/${orderId}`)).json?.degraded === false, { what: `orders whole again (${what})`, timeoutMs: 60_000, everyMs: 250 })
  await until(async () => (await get(base, `/users/${userId}`)).status === 200, { what: `users through the gateway again (${what})`, timeoutMs: 60_000, everyMs: 250 })
  t.equal((await get(base, `/users/${userId}`)).status, 200, `users serving again (${what})`)
}

/** Each user's welcome listed by notifications, exactly one. */
async function welcomedOnce (t: Test, base: string, userIds: number[]) {
  for (const id of userIds) {
    const welcomes = await until(async () => {
      const listed = (await get(base, `/notifications?userId=${id}`)).json as Array<{ kind: string }> | undefined
      return Array.isArray(listed) && listed.length > 0 && listed
    }, { what: `the welcome of user ${id}`, timeoutMs: afterRedisRestartMs, everyMs: 250 })
    t.equal(welcomes.length, 1, `user ${id}: one welcome`)
  }
}

t.test('compose split: the API suite through the gateway, then a killed, a hung and a disconnected module, a restarted and a hung Redis', async (t) => {
  await buildImage()
  const split = await startCompose(t, 'split')
  const base = split.url
  t.comment(`compose project ${split.project} on ${base}`)

  const refused = await split.configWithoutSecret()
  t.not(refused.code, 0, 'Compose refuses the file without SERVICE_SECRET')
  t.match(refused.output, /set SERVICE_SECRET to 32 or more random characters/, 'and says what to set')

  await t.test('the API suite through the gateway', (t) => apiSuite(t, base))

  const ada = await post(base, '/users', { name: 'Ada', email: `ada-${split.project}@example.com` })
  const order = await post(base, '/orders', { userId: ada.id, items: [{ sku: 'A-1', qty: 1 }] })
  const [users] = await split.containers('users')

  await t.test('users killed: degraded reads and 503s, whole after a restart', async (t) => {
    // Held down for the test: with restart: unless-stopped Docker would bring it back at once.
    await docker('update', '--restart', 'no', users)
    const since = Date.now()
    await docker('kill', users)
    await usersDown(t, base, ada.id, order.id, 'killed', since)
    await docker('update', '--restart', 'unless-stopped', users)
    await docker('start', users)
    await whole(t, base, ada.id, order.id, 'killed then started')
  })

  await t.test('users paused (hung): noticed by health checks, then fast answers; whole after unpause', async (t) => {
    const since = Date.now()
    await docker('pause', users)
    await usersDown(t, base, ada.id, order.id, 'paused', since)
    const health = await get(base, '/health')
    t.match(health.text, /ejected/, 'the gateway\'s /health shows users out of rotation')
    await docker('unpause', users)
    await whole(t, base, ada.id, order.id, 'unpaused')
  })

  await t.test('users cut off the network: degraded and 503s; whole once reconnected', async (t) => {
    const since = Date.now()
    await docker('network', 'disconnect', split.network, users)
    await usersDown(t, base, ada.id, order.id, 'disconnected', since)
    await docker('network', 'connect', '--alias', 'users', split.network, users)
    await whole(t, base, ada.id, order.id, 'reconnected')
  })

  await t.test('Redis restarted while users are created: every user.created reaches notifications once', async (t) => {
    const [redis] = await split.containers('redis')
    const restarted = docker('restart', '-t', '2', redis)
    const created: number[] = []
    for (let i = 0; i < 20; i++) {
      created.push((await post(base, '/users', { name: `Rita ${i}`, email: `rita-${i}-${split.project}@example.com` })).id)
      await sleep(150)
    }
    await restarted
    for (let i = 20; i < 25; i++) created.push((await post(base, '/users', { name: `Rita ${i}`, email: `rita-${i}-${split.project}@example.com` })).id)
    await welcomedOnce(t, base, created)
  })

  await t.test('Redis paused (hung) while users are created: writes stay fast; every user.created reaches notifications once after it resumes', async (t) => {
    const [redis] = await split.containers('redis')
    await docker('pause', redis)
    const created: number[] = []
    let slowestMs = 0
    for (let i = 0; i < 10; i++) {
      const started = performance.now()
      created.push((await post(base, '/users', { name: `Hana ${i}`, email: `hana-${i}-${split.project}@example.com` })).id)
      slowestMs = Math.max(slowestMs, performance.now() - started)
      await sleep(250)
    }
    t.ok(slowestMs < 1000, `POST /users 201 within a second while Redis hangs (slowest ${slowestMs.toFixed(0)} ms)`)
    // Longer than a worker's blocking read (BullMQ gives up on one after its timeout + 1 s, at most 6 s).
    await sleep(5000)
    await docker('unpause', redis)
    await welcomedOnce(t, base, created)
  })

  await t.test('no container restarted on its own', async (t) => {
    for (const service of ['gateway', 'orders', 'notifications-worker']) {
      const [id] = await split.containers(service)
      t.equal(await docker('inspect', '--format', '{{.RestartCount}}', id), '0', `${service} never restarted`)
    }
  })
})
