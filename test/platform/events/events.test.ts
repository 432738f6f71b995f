// dialects: sqlite postgres
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { buildTestApp, tempDir } from '../../helpers/app.js'
import { execute, queryRows } from '../../helpers/database.js'
import { startProcess } from '../../helpers/process.js'
import { startRedis } from '../../helpers/redis.js'
import { until } from '../../helpers/until.js'

type App = Awaited<ReturnType<typeof buildTestApp>>
const fast = { RELAY_INTERVAL_MS: '50', JOB_BACKOFF_MS: '20' }

async function redisEnv (t: Test) {
  const redis = await startRedis(t)
  return { redis, env: { REDIS_URL: redis.url, REDIS_PREFIX: `cleave-test-${randomUUID()}:`, ...fast } }
}

const modes: Record<string, (t: Test) => Promise<Record<string, string>>> = {
  'in-process (no Redis)': async () => fast,
  'BullMQ on Redis': async (t) => (await redisEnv(t)).env
}

async function notifications (app: App) {
  const all = []
  for (let cursor = 0; ;) {
    const page = (await app.inject(`/notifications?limit=100&cursor=${cursor}`)).json() as Array<{ id: number, eventId: string, kind: string, userId: number }>
    all.push(...page)
    if (page.length < 100) return all
    cursor = page.at(-1)!.id
  }
}

async function pendingIn (app: App, module: string): Promise<number> {
  return Number((await queryRows<{ n: number }>(app.databases.get(module)!, 'select count(*) as n from outbox where sent_at is null'))[0]!.n)
}

function createUser (app: App, i: number) {
  return app.inject({ method: 'POST', url: '/users', payload: { name: `User ${i}`, email: `user${i}@example.com` } })
}

for (const [mode, envFor] of Object.entries(modes)) {
  t.test(`${mode}: every event reaches every subscriber, once in effect`, async (t) => {
    const app = await buildTestApp(t, { env: await envFor(t) })
    for (let i = 1; i <= 20; i++) t.equal((await createUser(app, i)).statusCode, 201)
    for (let i = 1; i <= 10; i++) {
      t.equal((await app.inject({ method: 'POST', url: '/orders', payload: { userId: i, items: [{ sku: 'A', qty: i }] } })).statusCode, 201)
    }
    const settled = await until(async () => { const all = await notifications(app); return all.length === 30 && all }, { what: '30 notifications' })
    t.equal(settled.filter((n) => n.kind === 'welcome').length, 20)
    t.equal(settled.filter((n) => n.kind === 'order-confirmation').length, 10)

    // A relay that crashed after delivering but before marking sent delivers again: no second effect.
    await execute(app.databases.get('users')!, 'update outbox set sent_at = null, claimed_until = null')
    await execute(app.databases.get('orders')!, 'update outbox set sent_at = null, claimed_until = null')
    await until(async () => await pendingIn(app, 'users') === 0, { what: 'outbox drained again' })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const after = await notifications(app)
    t.equal(after.length, 30, 'still one notification per event')
    t.equal(new Set(after.map((n) => n.eventId)).size, 30)
  })

  t.test(`${mode}: a payload that fails its schema is not handled and not retried`, async (t) => {
    const app = await buildTestApp(t, { env: await envFor(t) })
    await createUser(app, 1)
    await until(async () => (await notifications(app)).length === 1, { what: 'first welcome' })
    // As an older or broken publisher would write it: id must be an integer.
    await execute(app.databases.get('users')!, `insert into outbox (id, name, payload, created_at) values ('bad-event', 'user.created', '{"id":"x","name":"A"}', ${Date.now()})`)
    await until(async () => (await queryRows<{ sent_at: number | null }>(app.databases.get('users')!, "select sent_at from outbox where id = 'bad-event'"))[0]?.sent_at, { what: 'bad event relayed' })
    const queue = app.events.queues().find((q) => q.name === 'events-notifications')
    if (queue) {
      const job = await until(async () => { const j = await queue.getJob('bad-event'); return (await j?.isFailed()) && j }, { what: 'bad job failed' })
      t.equal(job.attemptsMade, 1, 'failed on the first attempt')
      t.match(job.failedReason, /^user\.created payload fails its schema: /)
      t.match(job.failedReason, /\/id must be integer/)
      t.match(job.failedReason, /must have required property 'email'/)
    } else {
      await new Promise((resolve) => setTimeout(resolve, 300))
    }
    t.equal((await notifications(app)).length, 1, 'nothing was stored for it')
  })
}

t.test('Redis down while 500 users are created: all answer 201, every welcome arrives once Redis is back', async (t) => {
  const { redis, env } = await redisEnv(t)
  const app = await buildTestApp(t, { env })
  await createUser(app, 0)
  await until(async () => (await notifications(app)).length === 1, { what: 'welcome before the outage' })

  await redis.stop()
  const statuses = new Map<number, number>()
  for (let i = 1; i <= 500; i++) {
    const status = (await createUser(app, i)).statusCode
    statuses.set(status, (statuses.get(status) ?? 0) + 1)
  }
  t.same(Object.fromEntries(statuses), { 201: 500 }, 'every create answered 201')
  const pending = await pendingIn(app, 'users')
  t.ok(pending > 0, `events wait in the outbox (${pending} pending)`)

  await redis.start()
  const all = await until(async () => { const list = await notifications(app); return list.length >= 501 && list }, { timeoutMs: 60_000, what: '501 welcomes' })
  await new Promise((resolve) => setTimeout(resolve, 300))
  const final = await notifications(app)
  t.equal(final.length, 501, 'one welcome per user')
  t.equal(new Set(final.map((n) => n.userId)).size, 501, 'none twice')
  t.ok(all.length === 501)
})

t.test('split: events cross processes through Redis', async (t) => {
  const { env } = await redisEnv(t)
  const dataDir = tempDir(t)
  const users = await startProcess(t, 'server', { ...env, MODULES: 'users', DATA_DIR: dataDir })
  const notes = await startProcess(t, 'server', { ...env, MODULES: 'notifications', DATA_DIR: dataDir })
  const created = await fetch(`${users.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }) })
  t.equal(created.status, 201)
  const welcome = await until(async () => {
    const list = await (await fetch(`${notes.url}/notifications?userId=1`)).json() as Array<{ kind: string, message: string }>
    return list.length > 0 && list
  }, { what: 'welcome in the notifications process' })
  t.match(welcome, [{ kind: 'welcome', message: 'Welcome, Ada!' }])
})
