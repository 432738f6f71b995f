// SIGTERM on a real process: drain (not ready, still serving), then close (running jobs finish).
import t from 'tap'
import Database from 'better-sqlite3'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { tempDir } from '../helpers/app.js'
import { startProcess, type RunningProcess } from '../helpers/process.js'
import { startRedis } from '../helpers/redis.js'
import { until } from '../helpers/until.js'

const logIndex = (server: RunningProcess, match: (line: Record<string, unknown>) => boolean) => server.logs.findIndex(match)

t.test('SIGTERM: not ready but still serving during the drain; a running job completes before the exit', async (t) => {
  const redis = await startRedis(t)
  const dataDir = tempDir(t)
  const server = await startProcess(t, 'server', {
    MODULES: 'tasks', DATA_DIR: dataDir, REDIS_URL: redis.url, REDIS_PREFIX: `cleave-test-${randomUUID()}:`, DRAIN_DELAY_MS: '1500', SHUTDOWN_TIMEOUT_MS: '30000'
  })
  const queued = await fetch(`${server.url}/async_task`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delayMs: 4000, text: 'outlives the drain' }) })
  t.equal(queued.status, 202)
  const { id } = await queued.json() as { id: string }
  const task = () => fetch(`${server.url}/tasks/${id}`).then((res) => res.json() as Promise<{ state: string }>)
  await until(async () => (await task()).state === 'active', { what: 'task active', timeoutMs: 20_000 })

  server.child.kill('SIGTERM')
  await until(() => server.logs.some((line) => line.phase === 'draining'), { what: 'draining logged' })
  const ready = await fetch(`${server.url}/health/ready`)
  t.equal(ready.status, 503, 'not ready while draining')
  t.match(await ready.json(), { code: 'CLV_NOT_READY', checks: { draining: 'shutting down', redis: 'ok', 'tasks-db': 'ok' } })
  const read = await fetch(`${server.url}/tasks/${id}`)
  t.equal(read.status, 200, 'a normal request is still served')
  t.equal(read.headers.get('connection'), 'close', 'and its connection is not kept')
  t.match(await read.json(), { state: 'active' })

  t.equal(await server.exited, 0, 'a clean exit')
  const closing = logIndex(server, (line) => line.phase === 'closing')
  const completed = logIndex(server, (line) => line.msg === 'task completed' && line.taskId === id)
  t.ok(closing >= 0 && completed > closing, 'the job was running when the close began, and the close waited for it')
  t.ok(logIndex(server, (line) => line.phase === 'closed') > completed, 'closed after the job')
  const db = new Database(join(dataDir, 'tasks.sqlite'), { readonly: true })
  t.teardown(() => db.close())
  t.match(db.prepare('select state, attempts from tasks where id = ?').get(id), { state: 'completed', attempts: 1 }, 'completed once, not abandoned')
})

t.test('a second signal during the drain exits at once with 1 (close-with-grace), and says so', async (t) => {
  const server = await startProcess(t, 'server', { MODULES: 'hello', DATA_DIR: tempDir(t), DRAIN_DELAY_MS: '60000' })
  server.child.kill('SIGTERM')
  await until(() => server.logs.some((line) => line.phase === 'draining'), { what: 'draining logged' })
  t.equal((await fetch(`${server.url}/service`)).status, 200, 'serving while draining')
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 1)
  t.ok(server.logs.some((line) => /second SIGTERM/.test(String(line.msg))), 'logged')
})

t.test('SIGINT (Ctrl-C) closes without the drain wait, cleanly', async (t) => {
  const server = await startProcess(t, 'server', { MODULES: 'hello', DATA_DIR: tempDir(t), DRAIN_DELAY_MS: '600000' })
  server.child.kill('SIGINT')
  t.equal(await server.exited, 0, 'exits 0 long before a 10-minute drain could end')
  t.ok(server.logs.some((line) => line.phase === 'draining' && line.delayMs === 0), 'drained with no wait')
  t.ok(server.logs.some((line) => line.phase === 'closed'), 'closed')
})
