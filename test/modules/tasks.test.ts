// dialects: sqlite postgres
import t from 'tap'
import type { Test } from 'tap'
import { createHash, randomUUID } from 'node:crypto'
import type { TaskPayload } from '../../src/modules/tasks/contract.js'
import { createTaskHandlers } from '../../src/modules/tasks/events.js'
import { createTaskStore } from '../../src/modules/tasks/store.js'
import { taskTables } from '../../src/modules/tasks/tables.js'
import { UnrecoverableEventError } from '../../src/platform/events/errors.js'
import { buildTestApp } from '../helpers/app.js'
import { queryRows } from '../helpers/database.js'
import { startRedis } from '../helpers/redis.js'
import { until } from '../helpers/until.js'

type App = Awaited<ReturnType<typeof buildTestApp>>
type Task = { id: string, state: string, attempts: number, result?: { checksum: string, words: number, bytes: number }, error?: string, createdAt: string, updatedAt: string }

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

// Short retries so the failure paths finish quickly.
const settings = { JOB_ATTEMPTS: '3', JOB_BACKOFF_MS: '20', RELAY_INTERVAL_MS: '50' }

const modes: Record<string, (t: Test) => Promise<Record<string, string>>> = {
  'in-process (no REDIS_URL)': async () => ({}),
  'BullMQ (private Redis)': async (t) => {
    const redis = await startRedis(t)
    return { REDIS_URL: redis.url }
  }
}

function queue (app: App, payload: string, contentType = 'application/json') {
  return app.inject({ method: 'POST', url: '/async_task', headers: { 'content-type': contentType }, payload })
}

async function queued (t: Test, app: App, body: unknown): Promise<string> {
  const res = await queue(app, JSON.stringify(body))
  t.equal(res.statusCode, 202, 'queued')
  return res.json().id
}

function taskWhen (app: App, id: string, done: (task: Task) => boolean): Promise<Task> {
  return until(async () => {
    const task: Task = (await app.inject(`/tasks/${id}`)).json()
    return done(task) && task
  }, { everyMs: 20, what: `task ${id} in the state awaited` })
}

const finished = (task: Task) => task.state === 'completed' || task.state === 'failed'

async function count (app: App, table: string): Promise<number> {
  return Number((await queryRows<{ n: number }>(app.databases.get('tasks')!, `select count(*) as n from ${table}`))[0]!.n)
}

async function bullmqCounts (app: App) {
  const tasksQueue = app.events.queues().find((candidate) => candidate.name === 'events-tasks')
  return tasksQueue ? tasksQueue.getJobCounts('completed', 'failed') : undefined
}

for (const [mode, environment] of Object.entries(modes)) {
  t.test(mode, async (t) => {
    const shared = await environment(t)
    const tasksApp = (t: Test) => buildTestApp(t, { modules: ['tasks'], env: { ...settings, ...shared, REDIS_PREFIX: `cleave-test-${randomUUID()}:` } })

    t.test('POST /async_task answers 202 with the seed body, an id, and Location', async (t) => {
      const app = await tasksApp(t)
      const res = await queue(app, JSON.stringify({ text: 'hello' }))
      t.equal(res.statusCode, 202)
      t.match(res.headers['content-type'], /^application\/json/)
      const body = res.json()
      t.match(body.id, uuid)
      t.same(body, { status: 'task queued', id: body.id }, 'exactly the seed body plus the id')
      t.equal(res.headers.location, `/tasks/${body.id}`)
      t.not((await queue(app, '{}')).json().id, body.id, 'every task has its own id')
    })

    t.test('the task completes with a result anyone can recompute', async (t) => {
      const app = await tasksApp(t)
      // Keys out of order and non-ASCII text: the checksum is over the canonical form, bytes are UTF-8.
      const payload = { text: 'the quick  brown fox\n', n: 1.5, nested: { b: 'héllo wörld', a: [1, 'x', null, true, { z: 'one more' }] } }
      const canonical = '{"n":1.5,"nested":{"a":[1,"x",null,true,{"z":"one more"}],"b":"héllo wörld"},"text":"the quick  brown fox\\n"}'
      const id = await queued(t, app, payload)
      const task = await taskWhen(app, id, finished)
      t.same(task, {
        id,
        state: 'completed',
        attempts: 1,
        result: {
          checksum: createHash('sha256').update(canonical).digest('hex'),
          words: 4 + 1 + 2 + 2,
          bytes: canonical.length + 2
        },
        createdAt: task.createdAt,
        updatedAt: task.updatedAt
      })
      t.ok(Date.parse(task.createdAt) <= Date.parse(task.updatedAt), 'ISO dates, updated after created')
      const counts = await bullmqCounts(app)
      if (shared.REDIS_URL) t.match(counts, { completed: 1, failed: 0 }, 'the work ran as a BullMQ job')
      else t.equal(counts, undefined, 'no queue without Redis')
    })

    t.test('a slow task is waiting or active while it runs, then completed', async (t) => {
      const app = await tasksApp(t)
      const id = await queued(t, app, { delayMs: 600 })
      const first = (await app.inject(`/tasks/${id}`)).json()
      t.match(first.state, /^(waiting|active)$/)
      t.notOk('result' in first)
      const active = await taskWhen(app, id, (task) => task.state !== 'waiting')
      t.match(active, { state: 'active', attempts: 1 })
      t.notOk('result' in active, 'no result while active')
      const done = await taskWhen(app, id, finished)
      t.match(done, { state: 'completed', attempts: 1 })
      t.ok(Date.parse(done.updatedAt) - Date.parse(done.createdAt) >= 600, 'took at least delayMs')
    })

    t.test('a payload that can never succeed ends failed with its error, without retries', async (t) => {
      const app = await tasksApp(t)
      const id = await queued(t, app, { fail: 'this cannot be done' })
      const task = await taskWhen(app, id, finished)
      t.match(task, { state: 'failed', attempts: 1, error: 'this cannot be done' })
      t.notOk('result' in task)
      if (shared.REDIS_URL) t.match(await bullmqCounts(app), { failed: 1 }, 'the job is in BullMQ\'s failed set')
    })

    t.test('a failed attempt is retried with backoff; after JOB_ATTEMPTS the task fails', async (t) => {
      const app = await tasksApp(t)
      const flaky = await queued(t, app, { failAttempts: 1, text: 'second time lucky' })
      const hopeless = await queued(t, app, { failAttempts: 10 })
      const recovered = await taskWhen(app, flaky, finished)
      t.match(recovered, { state: 'completed', attempts: 2, result: { words: 3 } })
      t.notOk('error' in recovered, 'a completed task carries no error')
      const failed = await taskWhen(app, hopeless, finished)
      t.match(failed, { state: 'failed', attempts: 3, error: /simulated failure of attempt 3/ })
    })

    t.test('GET /tasks/:id: 404 for an unknown id, 400 for one that is not a uuid', async (t) => {
      const app = await tasksApp(t)
      const unknown = randomUUID()
      const missing = await app.inject(`/tasks/${unknown}`)
      t.equal(missing.statusCode, 404)
      t.match(missing.headers['content-type'], /^application\/problem\+json/)
      t.match(missing.json(), { status: 404, code: 'CLV_TASKS_NOT_FOUND', detail: `Task ${unknown} not found` })
      for (const id of ['1', 'abc', `${unknown}0`, 'not-a-uuid-at-all']) {
        const bad = await app.inject(`/tasks/${id}`)
        t.equal(bad.statusCode, 400, id)
        t.match(bad.json(), { code: 'CLV_VALIDATION', errors: [{ in: 'params', field: '/id' }] }, id)
      }
    })

    t.test('POST /async_task refuses anything but a JSON object, and stores nothing', async (t) => {
      const app = await tasksApp(t)
      const cases: Array<[string, string | undefined, string]> = [
        ['an array', '[1, 2]', 'CLV_VALIDATION'],
        ['an empty array', '[]', 'CLV_VALIDATION'],
        ['a string', '"do it"', 'CLV_VALIDATION'],
        ['a number', '42', 'CLV_VALIDATION'],
        ['null', 'null', 'CLV_VALIDATION'],
        ['a boolean', 'true', 'CLV_VALIDATION'],
        ['invalid JSON', '{"a":', 'CLV_INVALID_JSON'],
        ['an empty body', '', 'CLV_EMPTY_BODY'],
        ['delayMs below 0', '{"delayMs":-1}', 'CLV_VALIDATION'],
        ['delayMs above 30000', '{"delayMs":30001}', 'CLV_VALIDATION'],
        ['delayMs not an integer', '{"delayMs":1.5}', 'CLV_VALIDATION'],
        ['delayMs as text', '{"delayMs":"100"}', 'CLV_VALIDATION'],
        ['an empty fail message', '{"fail":""}', 'CLV_VALIDATION'],
        ['nested too deep', `{"a":${'['.repeat(200)}${']'.repeat(200)}}`, 'CLV_VALIDATION'],
        ['nested far too deep for a recursive walk', `{"a":${'['.repeat(30_000)}${']'.repeat(30_000)}}`, 'CLV_VALIDATION']
      ]
      for (const [label, payload, code] of cases) {
        const res = await queue(app, payload as string)
        t.equal(res.statusCode, 400, label)
        t.match(res.headers['content-type'], /^application\/problem\+json/, label)
        t.equal(res.json().code, code, label)
      }
      const none = await app.inject({ method: 'POST', url: '/async_task' })
      t.equal(none.statusCode, 400, 'no body at all')
      t.equal((await queue(app, 'do it', 'text/plain')).statusCode, 415, 'text/plain')

      const big = await queue(app, JSON.stringify({ text: 'x'.repeat(64 * 1024) }))
      t.equal(big.statusCode, 413, 'more than 64 KiB')
      t.match(big.headers['content-type'], /^application\/problem\+json/)
      t.equal(big.json().code, 'CLV_BODY_TOO_LARGE')
      t.equal((await queue(app, JSON.stringify({ text: 'x'.repeat(60 * 1024) }))).statusCode, 202, 'just under 64 KiB is fine')
      t.equal((await queue(app, JSON.stringify({ a: JSON.parse(`${'['.repeat(99)}${']'.repeat(99)}`) }))).statusCode, 202, '100 levels are fine')

      t.equal(await count(app, 'tasks'), 2, 'only the two accepted tasks were stored')
      t.equal(await count(app, 'outbox'), 2, 'and only they were queued')
    })
  })
}

t.test('the handler has one effect per task, however often or concurrently the job runs', async (t) => {
  const app = await buildTestApp(t, { modules: ['tasks'] })
  const database = await app.databases.open('tasks', taskTables)
  const store = createTaskStore(database)
  const handle = createTaskHandlers(store, { attempts: 5 })['task.queued']
  // Each delivery with an event id of its own: this is the handler's own guard, not the platform's.
  const meta = (attempt: number) => {
    const id = randomUUID()
    return { id, name: 'task.queued', publishedAt: Date.now(), attempt, context: { id, log: app.log, headers: {}, trace: undefined }, atomically: database.atomically }
  }

  const id = randomUUID()
  await store.atomically((tx) => store.insert(tx, id, { delayMs: 100, text: 'twice at once' } as TaskPayload))
  // A lapsed lock can hand one job to two workers at the same time.
  await Promise.all([handle({ id }, meta(1)), handle({ id }, meta(1))])
  const task = await store.find(id)
  t.match(task, { state: 'completed', attempts: 2, result: { words: 3 } })
  await handle({ id }, meta(1))
  t.same(await store.find(id), task, 'a redelivery after completion changes nothing')

  const unknown = await Promise.resolve().then(() => handle({ id: randomUUID() }, meta(1))).then(() => undefined, (error: unknown) => error)
  t.ok(unknown instanceof UnrecoverableEventError, 'an unknown task is not retried')
  t.match(unknown, { message: /is not in the tasks database/ })
})

t.test('both routes are in the OpenAPI document, with the simulated-work fields described', async (t) => {
  const app = await buildTestApp(t, { modules: ['tasks'] })
  const doc = (await app.inject('/docs/json')).json()
  t.ok(doc.paths['/async_task'].post, 'POST /async_task')
  t.ok(doc.paths['/tasks/{id}'].get, 'GET /tasks/{id}')
  t.same(Object.keys(doc.paths['/async_task'].post.responses).sort(), ['202', '400', '413', '415', '429', '500'])
  const body = doc.paths['/async_task'].post.requestBody.content['application/json'].schema
  t.match(body.properties.delayMs, { minimum: 0, maximum: 30000, description: /simulated slow work/ })
  t.match(body.properties.fail, { description: /simulated permanent failure/ })
})

t.test('a failure reason no column could hold is stored made storable: the task ends failed, never stuck active', async (t) => {
  const app = await buildTestApp(t, { modules: ['tasks'] })
  const database = await app.databases.open('tasks', taskTables)
  const store = createTaskStore(database)
  const id = randomUUID()
  await store.atomically((tx) => store.insert(tx, id, {}))
  await store.start(id)
  await store.fail(id, `disk said \u0000 and \ud800 then ${'x'.repeat(5000)}`, true)
  const task = (await app.inject(`/tasks/${id}`)).json() as Task
  t.equal(task.state, 'failed')
  t.match(task.error, /^disk said \uFFFD and \uFFFD then x+…$/, 'NUL and the lone surrogate replaced')
  t.equal(task.error!.length, 1000, 'cut to the contract\'s maxLength')
})
