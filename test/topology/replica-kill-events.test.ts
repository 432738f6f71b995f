import t from 'tap'
import { randomUUID } from 'node:crypto'
import { createTestDatabase } from '../helpers/database.js'
import { startRedis } from '../helpers/redis.js'
import { until } from '../helpers/until.js'
import { startSplit } from './topologies.js'

type Notification = { id: number, userId: number, kind: string }

async function allNotifications (base: string): Promise<Notification[]> {
  const all: Notification[] = []
  for (let cursor = 0; ;) {
    const page = await (await fetch(`${base}/notifications?limit=100&cursor=${cursor}`)).json() as Notification[]
    all.push(...page)
    if (page.length < 100) return all
    cursor = page.at(-1)!.id
  }
}

// Two users replicas on one PostgreSQL, notifications in a process of its own, Redis between
// them. One replica is SIGKILLed while users are created through the gateway: whatever it had
// committed and not yet relayed is claimed by the other replica once its claim lapses.
t.test('a users replica killed mid-traffic: every acknowledged user is stored and welcomed exactly once', async (t) => {
  const redis = await startRedis(t)
  const { gateway, services } = await startSplit(t, {
    redis: { url: redis.url, prefix: `cleave-test-${randomUUID()}:` },
    instances: { users: 2 },
    modules: ['users', 'notifications'],
    env: { USERS_DATABASE_URL: await createTestDatabase(t), RELAY_CLAIM_MS: '1500', RELAY_INTERVAL_MS: '200', LOG_LEVEL: 'warn' }
  })
  const acknowledged: number[] = []
  const failed = new Map<number, number>()
  const traffic = { running: true }
  let sent = 0
  const loops = Array.from({ length: 4 }, async () => {
    while (traffic.running) {
      const n = ++sent
      const res = await fetch(`${gateway.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `U${n}`, email: `u${n}-${randomUUID()}@example.com` }) })
        .catch(() => undefined)
      const body = await res?.json().catch(() => undefined) as { id?: number } | undefined
      if (res?.status === 201 && body?.id) acknowledged.push(body.id)
      else failed.set(res?.status ?? 0, (failed.get(res?.status ?? 0) ?? 0) + 1)
    }
  })

  await until(() => acknowledged.length >= 60, { what: '60 users created before the kill', timeoutMs: 30_000 })
  services.users[0].child.kill('SIGKILL')
  await services.users[0].exited
  const atKill = acknowledged.length
  await until(() => acknowledged.length >= atKill + 60, { what: '60 more after the kill', timeoutMs: 30_000 })
  traffic.running = false
  await Promise.all(loops)
  const lost = [...failed.values()].reduce((sum, n) => sum + n, 0)
  t.ok(lost <= 4, `${acknowledged.length} created; ${lost} not, at most the 4 in flight on the dead replica (${JSON.stringify(Object.fromEntries(failed))})`)

  for (const id of acknowledged) {
    const res = await fetch(`${gateway.url}/users/${id}`)
    if (res.status !== 200) t.fail(`user ${id} was acknowledged but is not stored (${res.status})`)
  }
  t.pass(`all ${acknowledged.length} acknowledged users are stored`)

  const welcomes = await until(async () => {
    const welcomed = (await allNotifications(gateway.url)).filter((n) => n.kind === 'welcome')
    return acknowledged.every((id) => welcomed.some((n) => n.userId === id)) && welcomed
  }, { what: 'a welcome for every acknowledged user', timeoutMs: 30_000 })
  const perUser = new Map<number, number>()
  for (const n of welcomes) perUser.set(n.userId, (perUser.get(n.userId) ?? 0) + 1)
  t.same(acknowledged.filter((id) => perUser.get(id) !== 1), [], 'each acknowledged user welcomed exactly once')
})
