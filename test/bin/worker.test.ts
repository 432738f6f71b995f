import t from 'tap'
import type { Test } from 'tap'
import Database from 'better-sqlite3'
import { createHash, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { tempDir } from '../helpers/app.js'
import { logLine, runToEnd, startProcess, type RunningProcess } from '../helpers/process.js'
import { startRedis } from '../helpers/redis.js'
import { until } from '../helpers/until.js'

type Task = { id: string, state: string, attempts: number, result?: { checksum: string, words: number, bytes: number }, error?: string }

function taskWhen (server: RunningProcess, id: string, done: (task: Task) => boolean): Promise<Task> {
  return until(async () => {
    const task = await (await fetch(`${server.url}/tasks/${id}`)).json() as Task
    return done(task) && task
  }, { timeoutMs: 20_000, what: `task ${id} in the state awaited` })
}

async function queue (server: RunningProcess, payload: object): Promise<string> {
  const res = await fetch(`${server.url}/async_task`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) })
  if (res.status !== 202) throw new Error(`POST /async_task answered ${res.status}: ${await res.text()}`)
  return (await res.json() as { id: string }).id
}

function logged (process: RunningProcess, msg: string, taskId: string) {
  return process.logs.filter((line) => line.msg === msg && line.taskId === taskId)
}

// The row changes before the line is written (pino writes asynchronously): wait for the line.
function loggedOnce (process: RunningProcess, msg: string, taskId: string) {
  return logLine(process, `${msg} of ${taskId}`, (line) => line.msg === msg && line.taskId === taskId)
}

// One server (HTTP only) and the workers share Redis and the tasks module's DATA_DIR.
async function topology (t: Test, extra: Record<string, string> = {}) {
  const redis = await startRedis(t)
  const env = { MODULES: 'tasks', DATA_DIR: tempDir(t), REDIS_URL: redis.url, REDIS_PREFIX: `cleave-test-${randomUUID()}:`, ...extra }
  const server = await startProcess(t, 'server', { ...env, WORKERS: 'false' })
  return { env, server, redis, worker: () => startProcess(t, 'worker', env) }
}

t.test('without REDIS_URL the worker exits 1 and says why', async (t) => {
  const { code, stderr } = await runToEnd('worker', { MODULES: 'tasks', DATA_DIR: tempDir(t), REDIS_URL: '' })
  t.equal(code, 1)
  t.match(stderr, /REDIS_URL is required/)
  t.notMatch(stderr, /at .*\.ts:\d+/, 'no stack trace')
})

t.test('a task queued by a server with WORKERS=false is done by the worker process', async (t) => {
  const { server, worker: startWorker } = await topology(t)
  const id = await queue(server, { text: 'done elsewhere' })
  await sleep(300)
  t.equal((await taskWhen(server, id, () => true)).state, 'waiting', 'the server does not run the work')

  const worker = await startWorker()
  const task = await taskWhen(server, id, (task) => task.state === 'completed')
  const canonical = '{"text":"done elsewhere"}'
  t.same(task.result, { checksum: createHash('sha256').update(canonical).digest('hex'), words: 2, bytes: canonical.length })
  t.match(await loggedOnce(worker, 'task completed', id), { service: 'cleave:tasks:worker' }, 'the worker logged the completion')
  t.equal(logged(worker, 'task completed', id).length, 1, 'once')
  t.same(server.logs.filter((line) => line.taskId === id), [], 'the server logged nothing about the work')

  t.equal((await fetch(`${worker.url}/tasks/${id}`)).status, 404, 'the worker serves no module routes')
  t.equal((await fetch(`${worker.url}/async_task`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 404)
  t.equal((await fetch(`${worker.url}/docs/json`)).status, 404, 'nor API docs')
  const ready = await fetch(`${worker.url}/health/ready`)
  t.equal(ready.status, 200)
  t.match(await ready.json(), { status: 'ok', checks: { redis: 'ok', 'tasks-db': 'ok' } })

  worker.child.kill('SIGTERM')
  t.equal(await worker.exited, 0, 'a clean exit on SIGTERM')
})

t.test('a job whose worker is killed mid-task is picked up by another worker and completed once', async (t) => {
  // A short lock and stalled-check interval so the dead worker's job is noticed in about a second.
  const { env, server, worker: startWorker } = await topology(t, { JOB_LOCK_MS: '1000', JOB_STALLED_INTERVAL_MS: '300' })
  const workerA = await startWorker()
  const id = await queue(server, { delayMs: 3000, text: 'survives a crash' })
  await taskWhen(server, id, (task) => task.state === 'active')
  await loggedOnce(workerA, 'task started', id)
  t.equal(logged(workerA, 'task started', id).length, 1, 'worker A started it')

  workerA.child.kill('SIGKILL')
  await workerA.exited
  const killedAt = Date.now()
  t.match(await taskWhen(server, id, () => true), { state: 'active', attempts: 1 }, 'left active by the dead worker')

  const workerB = await startWorker()
  const upAt = Date.now()
  const task = await taskWhen(server, id, (task) => task.state === 'completed' || task.state === 'failed')
  const restartedAt = Date.parse((await loggedOnce(workerB, 'task started', id)).time as string)
  t.comment(`worker B restarted the job ${restartedAt - upAt} ms after it was up; completed ${Date.now() - killedAt} ms after worker A was killed`)
  const canonical = '{"delayMs":3000,"text":"survives a crash"}'
  t.same(task.result, { checksum: createHash('sha256').update(canonical).digest('hex'), words: 3, bytes: canonical.length })
  t.match(task, { state: 'completed', attempts: 2 })
  t.same(logged(workerA, 'task completed', id), [], 'worker A never finished it')
  t.match(logged(workerB, 'task started', id), [{ attempt: 2 }])
  await loggedOnce(workerB, 'task completed', id)
  t.equal(logged(workerB, 'task completed', id).length, 1, 'worker B completed it, once')

  // Stopped cleanly, so the database can be read as it was left.
  workerB.child.kill('SIGTERM')
  server.child.kill('SIGTERM')
  t.equal(await workerB.exited, 0)
  t.equal(await server.exited, 0)
  const db = new Database(join(env.DATA_DIR, 'tasks.sqlite'), { readonly: true })
  t.teardown(() => db.close())
  t.same(db.prepare('select state, attempts from tasks').all(), [{ state: 'completed', attempts: 2 }], 'one task, one result')
  t.same(db.prepare('select name from processed_events').all(), [{ name: 'task.queued' }], 'its event was handled once')
})

t.test('a worker stopped while Redis is down finishes its task and exits 0, without waiting out the shutdown deadline', async (t) => {
  // BullMQ's own close would wait for its blocking connection to end, which never comes while it reconnects.
  const { env, server, redis, worker: startWorker } = await topology(t, { DRAIN_DELAY_MS: '0', SHUTDOWN_TIMEOUT_MS: '20000' })
  const worker = await startWorker()
  const id = await queue(server, { delayMs: 6000, text: 'finished in an outage' })
  await loggedOnce(worker, 'task started', id)
  await redis.stop()
  worker.child.kill('SIGTERM')
  t.equal(await worker.exited, 0, 'a clean exit')
  t.same(worker.logs.filter((line) => /deadline passed/.test(String(line.msg))), [], 'not by the shutdown deadline')
  t.equal(logged(worker, 'task completed', id).length, 1, 'the running task was finished first')
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)
  const db = new Database(join(env.DATA_DIR, 'tasks.sqlite'), { readonly: true })
  t.teardown(() => db.close())
  t.same(db.prepare('select state from tasks').all(), [{ state: 'completed' }], 'its result is stored')
})
