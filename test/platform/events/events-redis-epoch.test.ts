import t from 'tap'
import Database from 'better-sqlite3'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { buildTestApp, tempDir } from '../../helpers/app.js'
import { startProcess } from '../../helpers/process.js'
import { startRedis } from '../../helpers/redis.js'
import { until } from '../../helpers/until.js'

const tasks = 120
const concurrency = 50
// Long enough that the 70 behind the first 50 are still waiting when Redis dies.
const workMs = 4000

type Counts = Record<string, number>

t.test('Redis killed and restarted empty while 50 tasks run and 70 wait: all 120 complete, each worked once', async (t) => {
  const redis = await startRedis(t)
  const dataDir = tempDir(t)
  const prefix = `cleave-test-${randomUUID()}`
  const server = await startProcess(t, 'server', {
    MODULES: 'tasks',
    DATA_DIR: dataDir,
    REDIS_URL: redis.url,
    REDIS_PREFIX: `${prefix}:`,
    WORKER_CONCURRENCY: String(concurrency),
    RELAY_INTERVAL_MS: '100',
    JOB_BACKOFF_MS: '50'
  })
  const db = new Database(join(dataDir, 'tasks.sqlite'), { fileMustExist: true })
  t.teardown(() => db.close())
  const states = () => Object.fromEntries((db.prepare('select state, count(*) as n from tasks group by state').all() as Array<{ state: string, n: number }>).map((row) => [row.state, row.n])) as Counts
  const unsent = () => (db.prepare('select count(*) as n from outbox where sent_at is null').get() as { n: number }).n
  const withStates = (error: Error): never => { throw new Error(`${error.message}; tasks by state: ${JSON.stringify(states())}, unsent events: ${unsent()}`) }

  const replies = await Promise.all(Array.from({ length: tasks }, async (_, i) => {
    const res = await fetch(`${server.url}/async_task`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delayMs: workMs, text: `task ${i}` }) })
    return { status: res.status, id: (await res.json() as { id: string }).id }
  }))
  t.same(replies.filter((reply) => reply.status !== 202), [], 'every task queued')
  const ids = replies.map((reply) => reply.id)
  const before = await until(() => { const now = states(); return now.active === concurrency && now.waiting === tasks - concurrency && unsent() === 0 && now }, { what: '50 active, 70 waiting, every event in Redis', timeoutMs: 20_000, everyMs: 20 }).catch(withStates)
  t.same(before, { active: concurrency, waiting: tasks - concurrency }, 'killed while 50 run and 70 wait, their jobs acknowledged by Redis')

  await redis.stop()
  await redis.start()

  const after = await until(() => { const now = states(); return now.completed === tasks && now }, { what: `${tasks} tasks completed`, timeoutMs: 40_000, everyMs: 100 }).catch(withStates)
  t.same(after, { completed: tasks })
  await until(() => server.logs.find((line) => line.msg === 'outbox relay: events sent into a Redis that lost its data are delivered again'), { what: 'the relay said it delivers again' })

  const rows = db.prepare('select id, attempts, result from tasks').all() as Array<{ id: string, attempts: number, result: string | null }>
  t.same(new Set(rows.map((row) => row.id)), new Set(ids))
  t.same(rows.filter((row) => row.attempts !== 1), [], 'every task\'s work started exactly once')
  t.same(rows.filter((row) => row.result === null), [], 'every task has its result')
  const processed = db.prepare('select id from processed_events').all() as Array<{ id: string }>
  t.equal(processed.length, tasks, 'one handled event per task')

  // Every event now sits in the new Redis's epoch, none in the lost one.
  const client = new Redis(redis.url)
  t.teardown(() => client.quit())
  const epoch = await client.get(`${prefix}:outbox-epoch`)
  t.ok(epoch, 'the new Redis has an epoch')
  t.same(db.prepare('select sent_epoch as epoch, count(*) as n from outbox group by sent_epoch').all(), [{ epoch, n: tasks }], 'every event delivered into the new Redis')
})

t.test('FLUSHALL, no reconnect: the next delivery finds the epoch gone, and every event lost is queued again', async (t) => {
  const redis = await startRedis(t)
  // No workers: the jobs stay waiting in Redis, where a flush loses them.
  const app = await buildTestApp(t, { modules: ['tasks'], env: { REDIS_URL: redis.url, REDIS_PREFIX: `cleave-test-${randomUUID()}:`, WORKERS: 'false', RELAY_INTERVAL_MS: '50' } })
  const queue = app.events.queues().find((candidate) => candidate.name === 'events-tasks')!
  const post = async () => t.equal((await app.inject({ method: 'POST', url: '/async_task', payload: {} })).statusCode, 202)
  const waiting = async () => (await queue.getJobCounts('waiting')).waiting
  for (let i = 0; i < 5; i++) await post()
  await until(async () => (await waiting()) === 5, { what: '5 jobs waiting' })

  const admin = new Redis(redis.url)
  t.teardown(() => admin.quit())
  await admin.flushall()
  t.equal(await waiting(), 0, 'the flush lost them')
  await post()
  t.equal(await until(async () => { const n = await waiting(); return n === 6 && n }, { what: 'all 6 jobs waiting again' }), 6, 'the 5 lost and the new one')
})
