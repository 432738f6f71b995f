// The image as a user runs it: `docker run` with nothing but a published port. It builds from the
// Dockerfile, runs as the node user, becomes healthy by its own HEALTHCHECK, serves the README's
// flow on SQLite in /data, and `docker stop` drains (still answering during DRAIN_DELAY_MS) and
// exits 0 within the grace period Compose and Kubernetes give it.
import t from 'tap'
import { buildImage, docker, dockerOutcome, runName } from '../helpers/docker.js'
import { freePort } from '../helpers/process.js'
import { until } from '../helpers/until.js'

t.setTimeout(600_000)

const graceSeconds = 20

t.test('the image builds, becomes healthy as the node user, serves the README flow and stops cleanly', async (t) => {
  const image = await buildImage()
  t.comment(`image ${image.tag}: ${(image.bytes / 1e6).toFixed(0)} MB, built in ${image.seconds.toFixed(0)} s`)

  const name = runName('image')
  const port = await freePort()
  t.teardown(() => docker('rm', '-f', '-v', name).catch(() => undefined))
  await docker('run', '-d', '--name', name, '-p', `127.0.0.1:${port}:3000`, image.tag)
  const base = `http://127.0.0.1:${port}`

  const health = () => docker('inspect', '--format', '{{.State.Health.Status}}', name)
  await until(async () => (await health()) === 'healthy', { what: 'the container healthy by its HEALTHCHECK', timeoutMs: 60_000, everyMs: 500 })
  t.equal(await docker('exec', name, 'id', '-u'), '1000', 'runs as the node user, not root')
  t.equal(await docker('exec', name, 'sh', '-c', 'touch /app/x 2>/dev/null && echo writable || echo read-only'), 'read-only', 'the code is read-only to the app')

  const service = await fetch(`${base}/service`)
  t.equal(await service.text(), 'Hello, Microservice!')
  const created = await fetch(`${base}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }) })
  t.equal(created.status, 201, 'POST /users is 201')
  const ada = await created.json() as { id: number }
  t.match(await (await fetch(`${base}/users/${ada.id}`)).json(), { id: ada.id, name: 'Ada' })
  t.equal((await fetch(`${base}/docs/json`)).status, 200, 'OpenAPI served from dist/')
  t.equal((await fetch(`${base}/users/999999`)).status, 404)
  const queued = await fetch(`${base}/async_task`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'in a container' }) })
  t.equal(queued.status, 202)
  const task = await queued.json() as { status: string, id: string }
  t.equal(task.status, 'task queued')
  await until(async () => ((await (await fetch(`${base}/tasks/${task.id}`)).json()) as { state: string }).state === 'completed', { what: 'the task done by the in-process worker' })

  // SIGTERM: not ready at once, still serving for the drain delay, then closed and exit 0.
  const started = Date.now()
  const stopped = docker('stop', '-t', String(graceSeconds), name)
  await until(async () => (await fetch(`${base}/health/ready`).then((res) => res.status, () => 0)) === 503, { what: 'not ready once stopping', timeoutMs: 5_000, everyMs: 100 })
  t.equal(await (await fetch(`${base}/service`)).text(), 'Hello, Microservice!', 'still serving while it drains')
  await stopped
  const seconds = (Date.now() - started) / 1000
  t.ok(seconds < graceSeconds, `stopped in ${seconds.toFixed(1)} s, within the ${graceSeconds} s grace period`)
  t.equal(await docker('inspect', '--format', '{{.State.ExitCode}}', name), '0', 'exit code 0: closed, not killed')
  const logs = await dockerOutcome('logs', name)
  t.notMatch(logs.output, /ada@example\.com/, 'the email is not in the log')
})

t.test('the image holds production dependencies only, and its one-shot roles', async (t) => {
  const { tag } = await buildImage()
  const devImport = await dockerOutcome('run', '--rm', tag, 'node', '--input-type=module', '-e', 'await import("tsx")')
  t.not(devImport.code, 0, 'a dev dependency (tsx) cannot be imported in the image')
  const pretty = await dockerOutcome('run', '--rm', '-e', 'LOG_FORMAT=pretty', tag)
  t.equal(pretty.code, 1, 'LOG_FORMAT=pretty is refused at start-up: the image has no pino-pretty')
  t.match(pretty.output, /^Invalid configuration:\n {2}- LOG_FORMAT: pretty needs pino-pretty, a development dependency .*; use json\n$/, 'in one message, with no stack')
  const migrate = await dockerOutcome('run', '--rm', tag, 'node', 'dist/bin/migrate.js')
  t.equal(migrate.code, 0, 'the migrate role applies the migrations and exits 0')
  t.match(migrate.output, /users: migrated/)
})
